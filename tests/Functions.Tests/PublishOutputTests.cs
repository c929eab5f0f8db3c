using System.Diagnostics;

namespace DurableTrainer.Functions.Tests;

/// <summary>The publish output is what Azure runs (on Debian 12 based images): it must carry the patched native.</summary>
public sealed class PublishOutputTests : IDisposable
{
    private readonly string _publishDirectory = Directory.CreateTempSubdirectory("functions-publish-").FullName;

    public void Dispose() => Directory.Delete(_publishDirectory, recursive: true);

    [Fact]
    public async Task Publish_CarriesHostJsonMetadataTheDatasetAndTheLoadableTorchSharpNative()
    {
        string root = TestSupport.RepositoryPaths.Root;
        string configuration = TestSupport.RepositoryPaths.Configuration;
        // --no-build: the test run already built this configuration; publishing only lays the files out.
        string publishLog = await RunAsync("dotnet", ["publish", Path.Combine(root, "src", "Functions", "Functions.csproj"), "-c", configuration, "--no-build", "-o", _publishDirectory, "-nologo"]);

        Assert.True(File.Exists(Path.Combine(_publishDirectory, "host.json")), publishLog);
        Assert.True(File.Exists(Path.Combine(_publishDirectory, "functions.metadata")), publishLog);
        Assert.True(File.Exists(Path.Combine(_publishDirectory, "worker.config.json")), publishLog);
        Assert.True(File.Exists(Path.Combine(_publishDirectory, "data", "fashion-mnist", "train-images-idx3-ubyte.gz")), "The dataset must ship with the package.");
        string versions = await RunAsync("readelf", ["-V", Path.Combine(_publishDirectory, "libLibTorchSharp.so")]);
        Assert.Contains("Name: GLIBCXX_3.4.32  Flags: WEAK", versions, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_LeavesOutTheLibTorchLibrariesNoTorchSharpProcessLoads_AndKeepsEveryOneItNeeds()
    {
        string root = TestSupport.RepositoryPaths.Root;
        await RunAsync("dotnet", ["publish", Path.Combine(root, "src", "Functions", "Functions.csproj"), "-c", TestSupport.RepositoryPaths.Configuration, "--no-build", "-o", _publishDirectory, "-nologo"]);

        string[] libraries = [.. Directory.GetFiles(_publishDirectory, "*.so*").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.DoesNotContain("libtorch_python.so", libraries);
        Assert.DoesNotContain(libraries, library => library!.Contains("test", StringComparison.Ordinal));
        // Every library the TorchSharp native links against resolves inside the package (or is the system's).
        var startInfo = new ProcessStartInfo("ldd", [Path.Combine(_publishDirectory, "libLibTorchSharp.so")]) { RedirectStandardOutput = true };
        startInfo.Environment["LD_LIBRARY_PATH"] = _publishDirectory;
        using Process ldd = Process.Start(startInfo)!;
        string resolved = await ldd.StandardOutput.ReadToEndAsync();
        await ldd.WaitForExitAsync();
        // (ldd also mentions the weakened GLIBCXX_3.4.32, which the loader accepts; only a missing library matters.)
        Assert.DoesNotContain("=> not found", resolved, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_publishDirectory, "libtorch_cpu.so"), resolved, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string fileName, string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(startInfo)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string all = await output + await error;
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed:\n{all}");
        return all;
    }
}
