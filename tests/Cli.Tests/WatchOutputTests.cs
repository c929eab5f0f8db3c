using System.Net;
using DurableTrainer.Cli.Commands;
using DurableTrainer.Cli.Watching;
using Spectre.Console;

namespace DurableTrainer.Cli.Tests;

/// <summary>`dtrain watch` with redirected output: one plain line per change, the report at the end, the exit code by how the run ended.</summary>
public sealed class WatchOutputTests
{
    /// <summary>Answers the status route with each status in turn, repeating the last one.</summary>
    private static FakeServer Sequence(params string[] statuses)
    {
        int next = 0;
        return new FakeServer(request =>
        {
            string status = statuses[Math.Min(next++, statuses.Length - 1)];
            return FakeServer.Json(status.Contains("\"Running\"", StringComparison.Ordinal) || status.Contains("\"Pending\"", StringComparison.Ordinal) ? HttpStatusCode.Accepted : HttpStatusCode.OK, status);
        });
    }

    private static Task<DtrainRun> WatchAsync(FakeServer server, string runId = "run-w") =>
        DtrainRun.InvokeAsync(server, "watch", runId, "--server", FakeServer.Address, "--interval", "0.01");

    [Fact]
    public async Task Watch_PrintsOneLinePerChange_EachNewSuggestionOnce_ThenTheReport_AndExits0OnCompleted()
    {
        FakeServer server = Sequence(
            Statuses.Pending("run-w"),
            Statuses.Running("run-w", 10, 40, loss: 1.5),
            Statuses.Running("run-w", 10, 40, loss: 1.5),
            Statuses.Running("run-w", 20, 40, loss: 0.9, accuracy: 0.7, suggestions: ["Loss has plateaued; consider lowering the learning rate."]),
            Statuses.Running("run-w", 30, 40, loss: 0.7, accuracy: 0.75, scale: 0.5, suggestions: ["Loss has plateaued; consider lowering the learning rate."]),
            Statuses.Ended("run-w", "Completed", "PlanCompleted", 40, 0.8125));

        DtrainRun run = await WatchAsync(server);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(
        [
            "[  0.0%] Pending",
            "[ 25.0%] Training     round 1/4 step 10/40 epoch 0.50 loss 1.5000 1234 samples/s eta 15s",
            "[ 50.0%] Training     round 2/4 step 20/40 epoch 1.00 loss 0.9000 1234 samples/s val acc 0.7000 eta 10s",
            "  suggestion: Loss has plateaued; consider lowering the learning rate.",
            "[ 75.0%] Training     round 3/4 step 30/40 epoch 1.50 loss 0.7000 1234 samples/s val acc 0.7500 lr x0.5 eta 5s",
            "[100.0%] Completed    round 4/4 step 40/40 epoch 2.00 loss 0.3000 1234 samples/s val acc 0.8125",
            "Run run-w: Completed (PlanCompleted) in 12.5 s since it was created.",
            "Test: accuracy 0.8025, loss 0.3300 (final checkpoint, 40 steps).",
            "Validation: accuracy 0.8125, loss 0.3100 at step 40.",
            "Training throughput: 1280 samples/s (2560 samples in 2.0 s of chunk time).",
            "Final checkpoint: run-w/round-000004/replica-00",
        ], run.OutLines);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Watch_OfARunThatFailed_ExitsRunFailedWithTheReason()
    {
        FakeServer server = Sequence(
            Statuses.Running("run-f", 10, 40, loss: 1.5),
            Statuses.Ended("run-f", "Failed", null, 10, 0.1, failure: "Loss diverged after 2 rollbacks."));

        DtrainRun run = await WatchAsync(server, "run-f");

        Assert.Equal(ExitCodes.RunFailed, run.ExitCode);
        Assert.Contains("Run run-f: Failed in 12.5 s since it was created.", run.OutLines);
        Assert.Contains("Failure: Loss diverged after 2 rollbacks.", run.OutLines);
    }

    [Fact]
    public async Task Watch_OfAStoppedRun_ExitsRunStopped()
    {
        DtrainRun run = await WatchAsync(Sequence(Statuses.Ended("run-s", "Stopped", "StopRequested", 20, 0.7)), "run-s");

        Assert.Equal(ExitCodes.RunStopped, run.ExitCode);
        Assert.Contains("Run run-s: Stopped (StopRequested) in 12.5 s since it was created.", run.OutLines);
    }

    [Fact]
    public async Task Watch_OfATerminatedRun_ExitsRunTerminatedWithTheReason()
    {
        DtrainRun run = await WatchAsync(Sequence(Statuses.Terminated("run-t", "Terminated by an operator.")), "run-t");

        Assert.Equal(ExitCodes.RunTerminated, run.ExitCode);
        Assert.Equal("Run run-t: Terminated: Terminated by an operator.", run.OutLines[^1]);
    }

    [Fact]
    public async Task Watch_ShowsASuspendedRunAsSuspended_AndKeepsWatching()
    {
        FakeServer server = Sequence(
            Statuses.Running("run-p", 10, 40, loss: 1.5, runtime: "Suspended"),
            Statuses.Running("run-p", 10, 40, loss: 1.5),
            Statuses.Ended("run-p", "Completed", "PlanCompleted", 40, 0.8));

        DtrainRun run = await WatchAsync(server, "run-p");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.EndsWith("(Suspended)", run.OutLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("(Suspended)", run.OutLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_WhenTheStatusRouteRefusesTheKey_FallsBackToTheSummaryRoute()
    {
        // An Azure Functions app: a function key opens /api/* but not the durable webhooks.
        var server = new FakeServer(request => request.Uri.AbsolutePath.StartsWith("/runtime/", StringComparison.Ordinal)
            ? FakeServer.Empty(HttpStatusCode.Unauthorized)
            : FakeServer.Json(HttpStatusCode.OK, Statuses.Summary("run-a", "Completed", "Completed", 0.83)));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "watch", "run-a", "--server", FakeServer.Address, "--key", "function-key");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("Run run-a: Completed (PlanCompleted) in 10.0 s since it was created.", run.OutLines);
        Assert.Contains("Test: accuracy 0.8100, loss 0.6200 (final checkpoint, 20 steps).", run.OutLines);
    }

    [Fact]
    public void LiveView_ShowsBarLossAccuracyLearningRateScaleSpeedEtaAndSuggestions()
    {
        var writer = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        var snapshot = RunSnapshot.From(System.Text.Json.JsonSerializer.Deserialize<DurableTrainer.Contracts.InstanceStatus>(
            Statuses.Running("run-l", 20, 40, loss: 0.9, accuracy: 0.7, scale: 0.5, suggestions: ["Consider early stopping."]))!);

        console.Write(LiveWatchView.Render(snapshot));

        string text = writer.ToString();
        Assert.Contains("run-l", text, StringComparison.Ordinal);
        Assert.Contains("━", text, StringComparison.Ordinal);
        Assert.Contains(" 50.0%  step 20/40", text, StringComparison.Ordinal);
        Assert.Contains("loss 0.9000", text, StringComparison.Ordinal);
        Assert.Contains("val acc 0.7000", text, StringComparison.Ordinal);
        Assert.Contains("lr x0.5", text, StringComparison.Ordinal);
        Assert.Contains("1234 samples/s", text, StringComparison.Ordinal);
        Assert.Contains("eta 10s", text, StringComparison.Ordinal);
        Assert.Contains("suggestion: Consider early stopping.", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9.6, "10s")]
    [InlineData(98, "1m 38s")]
    [InlineData(7500, "2h 05m")]
    public void LiveView_Eta_ReadsAsHoursMinutesSeconds(double seconds, string expected) =>
        Assert.Equal(expected, LiveWatchView.FormatDuration(seconds));
}
