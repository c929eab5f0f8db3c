using System.Diagnostics;

namespace DurableTrainer.Infrastructure.Bicep.Tests;

/// <summary>What `bicep build --stdout` produced: the ARM JSON on stdout, the diagnostics on stderr.</summary>
internal sealed record BicepBuildResult(int ExitCode, string ArmTemplateJson, string Diagnostics)
{
    public bool IsClean => ExitCode == 0 && string.IsNullOrWhiteSpace(Diagnostics);

    public string Describe(string file) =>
        $"bicep build {file} exited with {ExitCode}; diagnostics:{Environment.NewLine}{Diagnostics.Trim()}";
}

/// <summary>Runs the Bicep CLI from the NuGet package. The linter runs as part of every build.</summary>
internal static class BicepCli
{
    // A build takes about two seconds; this only stops a hung process from hanging the test run.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static async Task<BicepBuildResult> BuildAsync(string bicepFile)
    {
        var startInfo = new ProcessStartInfo(TestEnvironment.BicepPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestEnvironment.RepositoryRoot,
        };
        startInfo.ArgumentList.Add("build");
        startInfo.ArgumentList.Add("--stdout");
        startInfo.ArgumentList.Add(bicepFile);

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {TestEnvironment.BicepPath}.");
        // Read both streams while the process runs: a full pipe buffer would otherwise block it.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep build {bicepFile} did not finish within {Timeout}.");
        }

        return new BicepBuildResult(process.ExitCode, await stdout, await stderr);
    }
}
