namespace DurableTrainer.Cli.LocalStack;

/// <summary>Finds the repository's files (Azurite, the worker build) from wherever the program runs.</summary>
public static class RepositoryLayout
{
    public const string MarkerFile = "Functions.sln";

    public static string FindRoot(string? start = null)
    {
        var directory = new DirectoryInfo(start ?? AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, MarkerFile)))
        {
            directory = directory.Parent;
        }

        return directory?.FullName
            ?? throw new InvalidOperationException($"Could not find the repository root ({MarkerFile}) above '{start ?? AppContext.BaseDirectory}'.");
    }

    /// <summary>
    /// Azurite as the one bundled file scripts/prerequisites.sh builds from the installed package: Node starts it in
    /// half the time it takes to resolve, read and compile the installed package's modules.
    /// </summary>
    public static string AzuriteScript(string root)
    {
        string path = Path.Combine(root, "node_modules", ".cache", "azurite-bundle", "azurite.js");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Azurite is not installed and bundled at '{path}'. Run 'scripts/prerequisites.sh' in '{root}'.", path);
    }

    /// <summary>
    /// The worker of the same configuration as the running program: in Release its ReadyToRun publish, which each
    /// Release build of src/Worker refreshes (see Worker.csproj: the first run then waits for no compilation); in
    /// Debug the plain build output.
    /// </summary>
    public static string WorkerAssembly(string root)
    {
        bool release = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
        string configuration = release ? "Release" : "Debug";
        string folder = release
            ? Path.Combine(root, "src", "Worker", "bin", configuration, "ready-to-run")
            : Path.Combine(root, "src", "Worker", "bin", configuration, "net10.0", "linux-x64");
        string path = Path.Combine(folder, "DurableTrainer.Worker.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The worker is not built at '{path}'. Run 'dotnet build -c {configuration} src/Worker'.", path);
    }
}
