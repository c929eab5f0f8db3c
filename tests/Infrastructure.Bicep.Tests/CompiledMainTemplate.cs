using System.Text.Json;

namespace DurableTrainer.Infrastructure.Bicep.Tests;

/// <summary>infra/main.bicep compiled once per test run and shared by the tests that read its ARM JSON.</summary>
internal static class CompiledMainTemplate
{
    private static readonly Lazy<Task<JsonElement>> _template = new(CompileAsync);

    public static Task<JsonElement> LoadAsync() => _template.Value;

    private static async Task<JsonElement> CompileAsync()
    {
        const string file = "infra/main.bicep";
        var result = await BicepCli.BuildAsync(Path.Combine(TestEnvironment.RepositoryRoot, file));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.Describe(file));
        }

        using var document = JsonDocument.Parse(result.ArmTemplateJson);
        return document.RootElement.Clone();
    }
}
