using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// <c>dtrain train</c> without <c>--server</c>, as a new user runs it: it starts Azurite and a worker on the
/// repository's local data, trains, and stops them.
/// </summary>
public sealed class LocalStackTrainTests
{
    [Fact]
    public async Task TrainOnTheLocalStack_PrintsTheRunsDashboard_KeepsStackMessagesOffStandardOutput_AndStopsTheWorkerGracefully()
    {
        string runId = "local-" + Guid.NewGuid().ToString("N")[..8];

        DtrainProcess train = await DtrainProcess.RunAsync("train", "--run-id", runId, "--dataset", "synthetic", "--model", "mlp",
            "--max-steps", "20", "--steps-per-chunk", "10", "--evaluation-interval-steps", "10", "--plain");

        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains(train.OutLines, line => line.StartsWith($"Started run {runId}.", StringComparison.Ordinal));
        Assert.Contains(train.OutLines, line => System.Text.RegularExpressions.Regex.IsMatch(line, $"^Dashboard: http://127\\.0\\.0\\.1:[0-9]+/dashboard/{runId}$"));
        Assert.Contains("Azurite listening on 127.0.0.1:", train.Error, StringComparison.Ordinal);
        Assert.Contains("Worker listening on http://127.0.0.1:", train.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(train.OutLines, line => line.Contains(" listening on ", StringComparison.Ordinal));
        Assert.Contains(train.OutLines, line => line.StartsWith($"Run {runId}: Completed", StringComparison.Ordinal));
        // Stopped with SIGTERM, the engine releases its task hub's leases; killed, it left the next stack ~30 s of waiting.
        string[] workerLog = await File.ReadAllLinesAsync(Path.Combine(RepositoryPaths.Root, ".azurite", "logs", "worker.log"));
        Assert.Equal("Durable engine stopped.", workerLog.Select(line => line.Trim()).LastOrDefault(line => line.StartsWith("Durable engine", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Up_KeepsAStackThatOtherCommandsUseWithoutAServer_UntilInterrupted()
    {
        string runId = "up-" + Guid.NewGuid().ToString("N")[..8];
        string note = Path.Combine(RepositoryPaths.Root, ".azurite", "stack.json");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(DtrainProcess.Assembly);
        start.ArgumentList.Add("up");
        start.Environment.Remove("DTRAIN_SERVER");
        using System.Diagnostics.Process up = System.Diagnostics.Process.Start(start)!;
        Task<string> upErrors = up.StandardError.ReadToEndAsync();
        try
        {
            string? api = await up.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            string? dashboard = await up.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Matches("^API: http://127\\.0\\.0\\.1:[0-9]+/api/training$", api ?? string.Empty);
            Assert.Matches("^Dashboard: http://127\\.0\\.0\\.1:[0-9]+/dashboard$", dashboard ?? string.Empty);
            Assert.True(File.Exists(note));

            DtrainProcess train = await DtrainProcess.RunAsync("train", "--run-id", runId, "--dataset", "synthetic", "--model", "mlp", "--max-steps", "10", "--steps-per-chunk", "10", "--plain");
            DtrainProcess list = await DtrainProcess.RunAsync("list");
            DtrainProcess status = await DtrainProcess.RunAsync("status", runId);
            DtrainProcess second = await DtrainProcess.RunAsync("up");

            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("Using the local stack `dtrain up` keeps at", train.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("Azurite listening", train.Error, StringComparison.Ordinal);
            Assert.True(list.ExitCode == 0, list.ToString());
            Assert.Contains(list.OutLines, line => line.StartsWith(runId, StringComparison.Ordinal));
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains("Completed", status.Out, StringComparison.Ordinal);
            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.Contains("already up", second.Error, StringComparison.Ordinal);
            Assert.Equal(api, second.OutLines[0]);
        }
        finally
        {
            using (var interrupt = System.Diagnostics.Process.Start("kill", [InterruptSignal(), up.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync();
            }

            try
            {
                await up.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                // Left up, it would serve the next tests' commands as a standing stack.
                up.Kill(entireProcessTree: true);
                await up.WaitForExitAsync();
            }
        }

        Assert.True(up.ExitCode == 0, $"dtrain up did not stop cleanly on kill {InterruptSignal()} (exit code {up.ExitCode}); it wrote: {await upErrors}");
        Assert.False(File.Exists(note), "dtrain up left its note behind.");
    }

    /// <summary>
    /// Ctrl+C's SIGINT, unless this process ignores SIGINT: a suite started in the background by a script (<c>cmd &amp;</c>)
    /// runs with SIGINT ignored, and every process it starts inherits that, as POSIX has it (Ctrl+C could not reach
    /// them either). Then SIGTERM, which dtrain handles as it handles Ctrl+C.
    /// </summary>
    private static string InterruptSignal()
    {
        string ignored = File.ReadAllLines("/proc/self/status").Single(line => line.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
        bool sigIntIgnored = (Convert.ToUInt64(ignored, 16) & (1UL << (2 - 1))) != 0;
        return sigIntIgnored ? "-TERM" : "-INT";
    }

    [Fact]
    public async Task Status_WithNoServerUp_StartsALocalStackForItsOwnWork_AndReadsTheRunTrainedThere()
    {
        string runId = "read-" + Guid.NewGuid().ToString("N")[..8];
        DtrainProcess train = await DtrainProcess.RunAsync("train", "--run-id", runId, "--dataset", "synthetic", "--model", "mlp", "--max-steps", "10", "--steps-per-chunk", "10", "--plain");
        Assert.True(train.ExitCode == 0, train.ToString());

        DtrainProcess status = await DtrainProcess.RunAsync("status", runId);

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Completed", status.Out, StringComparison.Ordinal);
        // Nothing answered at the default address, so the command started the stack for itself, and said so on standard error.
        Assert.Contains("Azurite listening on 127.0.0.1:", status.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", status.Out, StringComparison.Ordinal);
    }
}
