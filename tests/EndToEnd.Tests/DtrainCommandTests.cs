using System.Text.Json;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// The built <c>dtrain</c> against a real worker and Azurite: start, watch, status, list, suspend, resume, stop, a run
/// that fails, an unknown run, plot and export, each checked by its output and exit code.
/// </summary>
public sealed class DtrainCommandTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private string Server => fixture.Worker.BaseAddress.ToString().TrimEnd('/');

    private Task<DtrainProcess> DtrainAsync(params string[] args) => DtrainProcess.RunAsync([.. args, "--server", Server]);

    private Task<JsonElement> WaitForSummaryAsync(string runId, Func<JsonElement, bool> done) =>
        StatusPolling.UntilAsync(fixture.Http, $"/api/training/{runId}", done, TimeSpan.FromMinutes(2));

    private static bool StepAtLeast(JsonElement summary, long step) =>
        summary.GetProperty("step").ValueKind == JsonValueKind.Number && summary.GetProperty("step").GetInt64() >= step;

    [Fact]
    public async Task TrainWithModelConfigExportAndJson_TrainsTheDeclarativeModel_ExportsIt_AndEndsWithOneJsonLine()
    {
        string directory = Path.Combine(fixture.Azurite.WorkDirectory, "cli-declarative");
        Directory.CreateDirectory(directory);
        string modelFile = Path.Combine(directory, "model.json");
        await File.WriteAllTextAsync(modelFile, """
            [{"type":"flatten"},{"type":"linear","units":32},{"type":"relu"},{"type":"dropout","p":0.1},{"type":"linear","units":10}]
            """);

        DtrainProcess train = await DtrainAsync("train", "--run-id", "cli-declarative", "--dataset", "synthetic", "--model-config", modelFile,
            "--max-steps", "40", "--steps-per-chunk", "20", "--evaluation-interval-steps", "20", "--export", directory, "--json");

        Assert.True(train.ExitCode == 0, train.ToString());
        using JsonDocument result = JsonDocument.Parse(train.OutLines[^1]);
        JsonElement line = result.RootElement;
        Assert.Equal("cli-declarative", line.GetProperty("runId").GetString());
        Assert.Equal("Completed", line.GetProperty("status").GetString());
        Assert.Equal("Completed", line.GetProperty("outcome").GetString());
        Assert.InRange(line.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.0, 1.0);
        Assert.Equal(JsonValueKind.Object, line.GetProperty("validation").ValueKind);
        Assert.Equal(JsonValueKind.Object, line.GetProperty("bestValidation").ValueKind);
        Assert.Equal("accuracy", line.GetProperty("monitoredMetric").GetString());
        Assert.Equal("cli-declarative/round-000002/replica-00", line.GetProperty("finalCheckpoint").GetString());
        Assert.True(line.GetProperty("wallSeconds").GetDouble() > 0);
        Assert.True(File.Exists(Path.Combine(directory, "cli-declarative.pt")));
        using JsonDocument spec = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(directory, "cli-declarative.json")));
        Assert.Equal("layers", spec.RootElement.GetProperty("model").GetString());
        Assert.Equal(["flatten1", "linear2", "relu3", "dropout4", "linear5"], spec.RootElement.GetProperty("layers").EnumerateArray().Select(layer => layer.GetProperty("name").GetString()));

        DtrainProcess watch = await DtrainAsync("watch", "cli-declarative", "--json");
        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Equal("Completed", JsonDocument.Parse(watch.OutLines[^1]).RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task StartWatchStatusList_AShortSyntheticRun_CompletesAndExits0()
    {
        DtrainProcess start = await DtrainAsync("start", "--run-id", "cli-short", "--dataset", "synthetic", "--model", "mlp", "--max-steps", "40", "--steps-per-chunk", "20");
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal("Started run cli-short.", start.OutLines[0]);

        DtrainProcess watch = await DtrainAsync("watch", "cli-short", "--interval", "0.2");

        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Contains(watch.OutLines, line => line.StartsWith('[') && line.Contains("step ", StringComparison.Ordinal));
        Assert.Contains(watch.OutLines, line => line.StartsWith("Run cli-short: Completed (PlanCompleted) in ", StringComparison.Ordinal));
        Assert.Contains(watch.OutLines, line => line.StartsWith("Test: accuracy ", StringComparison.Ordinal) && line.EndsWith("(final checkpoint, 40 steps).", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', watch.Out);

        DtrainProcess status = await DtrainAsync("status", "cli-short");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Status:           Completed (Completed)", status.OutLines);
        Assert.Contains("Outcome:          Completed (PlanCompleted)", status.OutLines);

        DtrainProcess list = await DtrainAsync("list", "--top", "100");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.StartsWith("RUN ", list.OutLines[0], StringComparison.Ordinal);
        Assert.Contains(list.OutLines, line => line.StartsWith("cli-short ", StringComparison.Ordinal) && line.Contains("Completed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SuspendAndResume_PauseTheRunThenLetItComplete()
    {
        Assert.Equal(0, (await DtrainAsync("start", "--run-id", "cli-suspend", "--dataset", "synthetic", "--model", "mlp", "--max-steps", "200", "--steps-per-chunk", "10")).ExitCode);
        await WaitForSummaryAsync("cli-suspend", summary => StepAtLeast(summary, 10));

        DtrainProcess suspend = await DtrainAsync("suspend", "cli-suspend", "--reason", "test");
        Assert.True(suspend.ExitCode == 0, suspend.ToString());
        await WaitForSummaryAsync("cli-suspend", summary => summary.GetProperty("runtimeStatus").GetString() == "Suspended");
        DtrainProcess status = await DtrainAsync("status", "cli-suspend");
        Assert.Contains(status.OutLines, line => line.StartsWith("Status:           Suspended", StringComparison.Ordinal));

        DtrainProcess resume = await DtrainAsync("resume", "cli-suspend");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        DtrainProcess watch = await DtrainAsync("watch", "cli-suspend", "--interval", "0.2");

        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Contains(watch.OutLines, line => line.StartsWith("Run cli-suspend: Completed (PlanCompleted)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_EndsALongRunStopped_AndWatchExits3()
    {
        Assert.Equal(0, (await DtrainAsync("start", "--run-id", "cli-stop", "--dataset", "synthetic", "--model", "cnn", "--max-steps", "20000", "--steps-per-chunk", "20")).ExitCode);
        await WaitForSummaryAsync("cli-stop", summary => StepAtLeast(summary, 20));

        DtrainProcess stop = await DtrainAsync("stop", "cli-stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        DtrainProcess watch = await DtrainAsync("watch", "cli-stop", "--interval", "0.2");

        Assert.True(watch.ExitCode == 3, watch.ToString());
        Assert.Contains(watch.OutLines, line => line.StartsWith("Run cli-stop: Stopped (StopRequested)", StringComparison.Ordinal));
        Assert.Contains(watch.OutLines, line => line.StartsWith("Final checkpoint: cli-stop/round-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartWatch_ARunThatDiverges_FailsAndExits1WithTheReason()
    {
        // SGD at learning rate 10 drives the loss to infinity in the first round; with no rollbacks allowed the run fails.
        DtrainProcess run = await DtrainAsync("start", "--watch", "--interval", "0.2", "--run-id", "cli-diverge", "--dataset", "synthetic", "--model", "mlp",
            "--optimizer", "sgd", "--learning-rate", "10", "--momentum", "0.9", "--max-rollbacks", "0", "--max-steps", "200", "--steps-per-chunk", "20");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(run.OutLines, line => line.StartsWith("Run cli-diverge: Failed", StringComparison.Ordinal));
        Assert.Contains(run.OutLines, line => line.StartsWith("Failure: Diverged", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("watch")]
    [InlineData("stop")]
    public async Task AnUnknownRun_GetsTheFriendlySentenceAndExit6(string command)
    {
        DtrainProcess run = await DtrainAsync(command, "no-such-run");

        Assert.True(run.ExitCode == 6, run.ToString());
        Assert.Equal($"No run 'no-such-run' on the server at {Server}. `dtrain list` shows the runs it has.", run.Error.Trim());
    }

    [Fact]
    public async Task PlotAndExport_OfACompletedRun_WorkWithTheRoutesTheServerHas()
    {
        Assert.Equal(0, (await DtrainAsync("start", "--watch", "--run-id", "cli-plot", "--dataset", "synthetic", "--model", "mlp", "--max-steps", "40", "--steps-per-chunk", "20", "--evaluation-interval-steps", "20")).ExitCode);
        string directory = Path.Combine(fixture.Azurite.WorkDirectory, "cli-plot");
        string png = Path.Combine(directory, "curves.png");

        DtrainProcess plot = await DtrainAsync("plot", "cli-plot", "-o", png);
        DtrainProcess export = await DtrainAsync("export", "cli-plot", "-o", directory);

        // 40 steps in chunks of 20, evaluated every 20: the plot comes from the metrics journal, not the summary.
        Assert.True(plot.ExitCode == 0, plot.ToString());
        Assert.Contains(": 40 step losses, 2 chunk means, 2 evaluations.", plot.Out, StringComparison.Ordinal);
        byte[] bytes = await File.ReadAllBytesAsync(png);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes");
        Assert.True(export.ExitCode == 0, export.ToString());
        byte[] weights = await File.ReadAllBytesAsync(Path.Combine(directory, "cli-plot.pt"));
        Assert.Equal("PK"u8.ToArray(), weights[..2]); // torch.save's zip container
        using JsonDocument spec = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(directory, "cli-plot.json")));
        Assert.Equal("mlp", spec.RootElement.GetProperty("model").GetString());
    }
}
