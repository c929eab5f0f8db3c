namespace DurableTrainer.Infrastructure.Bicep.Tests;

/// <summary>
/// Every Bicep file compiles on its own with the default linter rules and produces no diagnostic at all: a warning
/// (an unused parameter, a hard-coded location, a secret in an output) fails the test, with the linter's text.
/// Modules are compiled alone too, so a module nothing references yet is still checked.
/// </summary>
public class BicepCompilationTests
{
    public static TheoryData<string> BicepFiles() => new(RelativeBicepFiles());

    private static IEnumerable<string> RelativeBicepFiles() =>
        Directory.EnumerateFiles(TestEnvironment.InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(TestEnvironment.RepositoryRoot, file))
            .Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task EveryBicepFile_CompilesWithoutWarnings(string file)
    {
        var result = await BicepCli.BuildAsync(Path.Combine(TestEnvironment.RepositoryRoot, file));

        Assert.True(result.IsClean, result.Describe(file));
        Assert.False(string.IsNullOrWhiteSpace(result.ArmTemplateJson), $"bicep build {file} wrote no ARM template.");
    }

    [Fact]
    public void InfraFolder_HoldsTheAzdEntryPointAndItsModules()
    {
        var files = RelativeBicepFiles().ToList();

        Assert.Contains(Path.Combine("infra", "main.bicep"), files);
        Assert.Contains(files, file => file.StartsWith(Path.Combine("infra", "app") + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        Assert.Contains(files, file => file.StartsWith(Path.Combine("infra", "core") + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }
}
