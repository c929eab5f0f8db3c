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

    public static string AzuriteExecutable(string root)
    {
        string path = Path.Combine(root, "node_modules", ".bin", "azurite");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Azurite is not installed at '{path}'. Run 'npm ci' in '{root}'.", path);
    }

    /// <summary>The worker build of the same configuration as the running program (Debug or Release).</summary>
    public static string WorkerAssembly(string root)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";
        string path = Path.Combine(root, "src", "Worker", "bin", configuration, "net10.0", "linux-x64", "DurableTrainer.Worker.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The worker is not built at '{path}'. Run 'dotnet build -c {configuration} src/Worker'.", path);
    }
}
