using System.Reflection;

namespace DurableTrainer.Infrastructure.Bicep.Tests;

/// <summary>Where the Bicep CLI and the repository are, as recorded by the build (see the project file).</summary>
internal static class TestEnvironment
{
    public static string BicepPath { get; } = Metadata("BicepPath");

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    public static string InfraDirectory { get; } = Path.Combine(RepositoryRoot, "infra");

    private static string Metadata(string key) =>
        typeof(TestEnvironment).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"The test assembly has no '{key}' metadata; rebuild the project.");
}
