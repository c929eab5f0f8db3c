namespace DurableTrainer.TestSupport;

/// <summary>Where the repository and the build outputs are, seen from a test's own output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in (other projects' outputs match it).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The build output folder of the project in <c>src/</c> named <paramref name="project"/>.</summary>
    public static string SourceOutput(string project) => Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", "linux-x64");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No Functions.sln above '{AppContext.BaseDirectory}'.");
    }
}
