using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Sweeps through the built <c>dtrain</c> against a real worker and Azurite, trials trained by TorchSharp: ASHA stops
/// weak trials at rungs, the best trial's model comes from the run routes, and a stopped sweep stops its trials.
/// </summary>
public sealed class SweepTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private string Server => fixture.Worker.BaseAddress.ToString().TrimEnd('/');

    private Task<DtrainProcess> DtrainAsync(params string[] args) => DtrainProcess.RunAsync([.. args, "--server", Server]);

    [Fact]
    public async Task AshaGrid_StopsWeakTrialsAtRungs_ReportsTheBestTrial_WhoseModelExports()
    {
        DtrainProcess sweep = await DtrainAsync("sweep", "--sweep-id", "cli-asha", "--dataset", "synthetic", "--model", "mlp",
            "--max-steps", "120", "--steps-per-chunk", "30", "--evaluation-interval-steps", "30",
            "--param", "optimizer.learningRate=0.00003,0.001,0.01,2.0", "--scheduler", "asha", "--grace-steps", "30", "--reduction-factor", "2",
            "--max-concurrent", "2", "--json");

        Assert.True(sweep.ExitCode == 0, sweep.ToString());
        using JsonDocument result = JsonDocument.Parse(sweep.OutLines[^1]);
        JsonElement line = result.RootElement;
        Assert.Equal("cli-asha", line.GetProperty("sweepId").GetString());
        Assert.Equal("Completed", line.GetProperty("status").GetString());
        Assert.Equal([30L, 60], line.GetProperty("rungs").EnumerateArray().Select(rung => rung.GetInt64()));
        JsonElement[] trials = [.. line.GetProperty("trials").EnumerateArray()];
        Assert.Equal(4, trials.Length);
        Assert.Contains(trials, trial => trial.GetProperty("status").GetString() == "Stopped"
            && trial.GetProperty("reason").GetString()!.StartsWith("stopped by ASHA at rung", StringComparison.Ordinal));
        Assert.Contains(trials, trial => trial.GetProperty("status").GetString() == "Completed" && trial.GetProperty("steps").GetInt64() == 120);
        JsonElement best = line.GetProperty("best");
        Assert.Equal("Completed", best.GetProperty("status").GetString());
        Assert.Equal(trials.Max(trial => trial.GetProperty("metric").GetDouble()), best.GetProperty("metric").GetDouble());
        Assert.Contains(sweep.OutLines, text => text.StartsWith("Best: trial ", StringComparison.Ordinal));

        // The best trial is a run like any other: its model comes from the run routes.
        string bestRun = best.GetProperty("runId").GetString()!;
        using HttpResponseMessage model = await fixture.Http.GetAsync(new Uri($"/api/training/{bestRun}/model", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        using HttpResponseMessage bestRoute = await fixture.Http.GetAsync(new Uri("/api/sweeps/cli-asha/best", UriKind.Relative));
        Assert.Equal(bestRun, JsonDocument.Parse(await bestRoute.Content.ReadAsStringAsync()).RootElement.GetProperty("trial").GetProperty("runId").GetString());

        DtrainProcess status = await DtrainAsync("sweep", "status", "cli-asha", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal(bestRun, JsonDocument.Parse(status.OutLines[^1]).RootElement.GetProperty("best").GetProperty("runId").GetString());
        DtrainProcess list = await DtrainAsync("sweep", "list");
        Assert.Contains(list.OutLines, text => text.StartsWith("cli-asha ", StringComparison.Ordinal));

        // Every trial's validation curve in one PNG: 4 curves, one evaluation per 30 steps each trial trained.
        string png = Path.Combine(Path.GetTempPath(), $"cli-asha-{Guid.NewGuid():N}.png");
        DtrainProcess plot = await DtrainAsync("sweep", "plot", "cli-asha", "-o", png);
        Assert.True(plot.ExitCode == 0, plot.ToString());
        long evaluations = trials.Sum(trial => trial.GetProperty("steps").GetInt64() / 30);
        int stopped = trials.Count(trial => trial.GetProperty("status").GetString() == "Stopped");
        Assert.Contains($"4 trial curve(s), {evaluations} evaluations of accuracy, {stopped} trial(s) stopped early", plot.OutLines[^1], StringComparison.Ordinal);
        byte[] image = await File.ReadAllBytesAsync(png);
        Assert.Equal("PNG", System.Text.Encoding.ASCII.GetString(image, 1, 3));
        Assert.True(image.Length > 10_000, $"{image.Length} bytes");
        File.Delete(png);

        // Sweeps have their own list; their trials are runs and are listed as runs.
        using HttpResponseMessage runs = await fixture.Http.GetAsync(new Uri("/api/training?top=100", UriKind.Relative));
        string[] runIds = [.. JsonDocument.Parse(await runs.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(run => run.GetProperty("runId").GetString()!)];
        Assert.DoesNotContain("cli-asha", runIds);
        Assert.Contains(bestRun, runIds);
    }

    [Fact]
    public async Task StoppedSweep_StopsItsRunningTrial_AndStartsNoOther()
    {
        const string Body = """
            {"sweepId": "stop-me", "base": {"data": {"dataset": "synthetic"}, "model": {"architecture": "mlp"}, "training": {"maxSteps": 100000},
             "execution": {"stepsPerChunk": 20}},
             "space": {"optimizer.learningRate": [0.001, 0.002, 0.003]}, "maxConcurrent": 1}
            """;
        using HttpResponseMessage started = await fixture.Http.PostJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Body);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await StatusPolling.UntilAsync(fixture.Http, "/api/sweeps/stop-me",
            status => status.GetProperty("sweep").GetProperty("trials")[0].GetProperty("status").GetString() == "Running", TimeSpan.FromMinutes(1));

        DtrainProcess stop = await DtrainAsync("sweep", "stop", "stop-me");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        DtrainProcess watch = await DtrainAsync("sweep", "watch", "stop-me", "--interval", "0.5");

        Assert.True(watch.ExitCode == 3, watch.ToString());
        using HttpResponseMessage final = await fixture.Http.GetAsync(new Uri("/api/sweeps/stop-me", UriKind.Relative));
        JsonElement[] trials = [.. JsonDocument.Parse(await final.Content.ReadAsStringAsync()).RootElement.GetProperty("sweep").GetProperty("trials").EnumerateArray()];
        Assert.Equal("Stopped", trials[0].GetProperty("status").GetString());
        Assert.InRange(trials[0].GetProperty("steps").GetInt64(), 1, 99_999);
        Assert.All(trials[1..], trial => Assert.Equal("NotStarted", trial.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task ATrialTerminatedThroughTheManagementRoute_EndsFailed_AndTheSweepGoesOnToTheNextTrial()
    {
        const string Body = """
            {"sweepId": "lose-one", "base": {"data": {"dataset": "synthetic"}, "model": {"architecture": "mlp"}, "training": {"maxSteps": 100000},
             "execution": {"stepsPerChunk": 20}},
             "space": {"optimizer.learningRate": [0.001, 0.002]}, "maxConcurrent": 1, "trialCheckSeconds": 2}
            """;
        using HttpResponseMessage started = await fixture.Http.PostJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Body);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await StatusPolling.UntilAsync(fixture.Http, "/api/sweeps/lose-one",
            status => status.GetProperty("sweep").GetProperty("trials")[0].GetProperty("status").GetString() == "Running", TimeSpan.FromMinutes(1));

        using HttpResponseMessage terminate = await fixture.Http.PostAsync(new Uri("/runtime/webhooks/durabletask/instances/lose-one-t000/terminate?reason=by+hand", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
        JsonElement moved = await StatusPolling.UntilAsync(fixture.Http, "/api/sweeps/lose-one",
            status => status.GetProperty("sweep").GetProperty("trials")[1].GetProperty("status").GetString() == "Running", TimeSpan.FromMinutes(1));
        DtrainProcess stop = await DtrainAsync("sweep", "stop", "lose-one");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        JsonElement final = await StatusPolling.UntilAsync(fixture.Http, "/api/sweeps/lose-one",
            status => status.GetProperty("runtimeStatus").GetString() == "Completed", TimeSpan.FromMinutes(1));

        JsonElement lost = moved.GetProperty("sweep").GetProperty("trials")[0];
        Assert.Equal("Failed", lost.GetProperty("status").GetString());
        Assert.Contains("ended Terminated without reporting", lost.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("Stopped", final.GetProperty("sweep").GetProperty("trials")[1].GetProperty("status").GetString());
    }
}
