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
}
