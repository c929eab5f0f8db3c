using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>The friendly routes (summary, list, stop) and the adjust event, against the real engine.</summary>
public sealed class RunManagementTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private Task<JsonElement> WaitForSummaryAsync(string runId, Func<JsonElement, bool> done) =>
        StatusPolling.UntilAsync(fixture.Http, $"/api/training/{runId}", done, TimeSpan.FromMinutes(3));

    private async Task StartAsync(string json)
    {
        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task StatusQuery_WithShowHistory_ListsEveryActivityAndWithOutputTheirTimings()
    {
        await StartAsync("""{"runId":"e2e-history","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":30},"evaluation":{"intervalSteps":10},"execution":{"stepsPerChunk":10}}""");
        await WaitForSummaryAsync("e2e-history", summary => summary.GetProperty("runtimeStatus").GetString() == "Completed");

        JsonElement plain = await GetJsonAsync("/runtime/webhooks/durabletask/instances/e2e-history");
        JsonElement names = await GetJsonAsync("/runtime/webhooks/durabletask/instances/e2e-history?showHistory=true");
        JsonElement full = await GetJsonAsync("/runtime/webhooks/durabletask/instances/e2e-history?showHistory=true&showHistoryOutput=true");

        Assert.False(plain.TryGetProperty("historyEvents", out _));
        Assert.Equal("Completed", full.GetProperty("runtimeStatus").GetString());
        JsonElement[] events = [.. full.GetProperty("historyEvents").EnumerateArray()];
        Assert.Equal("ExecutionCompleted", events.Last(e => e.GetProperty("EventType").GetString() != "OrchestratorCompleted").GetProperty("EventType").GetString());
        Assert.Equal(3, events.Count(e => e.GetProperty("EventType").GetString() == "TaskScheduled" && e.GetProperty("Name").GetString() == "RunChunk"));
        Assert.All(names.GetProperty("historyEvents").EnumerateArray(), e => Assert.False(e.TryGetProperty("Result", out _)));
        // Each chunk's result carries its wall time inside the worker, at least its step loop plus its checkpoint transfers.
        JsonElement[] chunkResults = [.. events
            .Where(e => e.GetProperty("EventType").GetString() == "TaskCompleted")
            .Select(e => JsonDocument.Parse(e.GetProperty("Result").GetString()!).RootElement.Clone())
            .Where(result => result.ValueKind == JsonValueKind.Object && result.TryGetProperty("steps", out _))];
        Assert.Equal(3, chunkResults.Length);
        Assert.All(chunkResults, result =>
        {
            JsonElement timing = result.GetProperty("timing");
            double transfers = timing.GetProperty("checkpointReadSeconds").GetDouble() + timing.GetProperty("checkpointWriteSeconds").GetDouble();
            Assert.True(transfers > 0);
            Assert.True(timing.GetProperty("wallSeconds").GetDouble() >= result.GetProperty("seconds").GetDouble() + transfers);
        });
    }

    [Fact]
    public async Task StopRoute_EndsARunningRunStoppedWithItsLastCheckpointAndEvaluation()
    {
        await StartAsync("""{"runId":"e2e-stop","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":20000},"execution":{"stepsPerChunk":20}}""");
        await WaitForSummaryAsync("e2e-stop", summary => summary.GetProperty("step").ValueKind == JsonValueKind.Number && summary.GetProperty("step").GetInt64() >= 20);

        using HttpResponseMessage stop = await fixture.Http.PostAsync(new Uri("/api/training/e2e-stop/stop", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        JsonElement summary = await WaitForSummaryAsync("e2e-stop", s => s.GetProperty("runtimeStatus").GetString() == "Completed");

        Assert.Equal("Stopped", summary.GetProperty("outcome").GetString());
        Assert.Equal("StopRequested", summary.GetProperty("stopReason").GetString());
        long steps = summary.GetProperty("step").GetInt64();
        Assert.InRange(steps, 20, 19_999);
        Assert.Equal(steps, summary.GetProperty("lastEvaluation").GetProperty("step").GetInt64());
        Assert.StartsWith("e2e-stop/round-", summary.GetProperty("finalCheckpoint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdjustEvent_ChangesTheLearningRateScaleOfLaterRounds()
    {
        await StartAsync("""{"runId":"e2e-adjust","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":20000},"execution":{"stepsPerChunk":20}}""");
        await WaitForSummaryAsync("e2e-adjust", summary => summary.GetProperty("step").ValueKind == JsonValueKind.Number && summary.GetProperty("step").GetInt64() >= 20);

        using HttpResponseMessage adjust = await fixture.Http.PostJsonAsync(
            new Uri("/runtime/webhooks/durabletask/instances/e2e-adjust/raiseEvent/adjust", UriKind.Relative),
            """{"learningRateScale":0.25}""");
        Assert.Equal(HttpStatusCode.Accepted, adjust.StatusCode);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        double scale = 1.0;
        while (scale != 0.25 && DateTime.UtcNow < deadline)
        {
            JsonElement status = await GetJsonAsync("/runtime/webhooks/durabletask/instances/e2e-adjust");
            scale = status.GetProperty("customStatus").GetProperty("learningRateScale").GetDouble();
            await Task.Delay(200);
        }

        using HttpResponseMessage terminate = await fixture.Http.PostAsync(new Uri("/runtime/webhooks/durabletask/instances/e2e-adjust/terminate?reason=done", UriKind.Relative), null);
        Assert.Equal(0.25, scale);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
    }

    [Fact]
    public async Task SuspendAndResume_ThroughTheManagementUrls_PauseTrainingAndLetItFinish()
    {
        await StartAsync("""{"runId":"e2e-suspend","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":300},"execution":{"stepsPerChunk":10}}""");
        await WaitForSummaryAsync("e2e-suspend", summary => summary.GetProperty("step").ValueKind == JsonValueKind.Number && summary.GetProperty("step").GetInt64() >= 10);

        using HttpResponseMessage suspend = await fixture.Http.PostAsync(new Uri("/runtime/webhooks/durabletask/instances/e2e-suspend/suspend?reason=test", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, suspend.StatusCode);
        JsonElement suspended = await WaitForSummaryAsync("e2e-suspend", summary => summary.GetProperty("runtimeStatus").GetString() == "Suspended");
        // Not a pause of a guessed length: wait until what was running when the suspension took effect has ended in
        // the history. The episode that records that end is the one that would schedule the next chunk if the run
        // were not suspended: a run that went on would keep a chunk in flight until it ended.
        await StatusPolling.UntilNoActivityInFlightAsync(fixture.Http, "e2e-suspend", TimeSpan.FromMinutes(2));
        JsonElement later = await GetJsonAsync("/api/training/e2e-suspend");
        Assert.Equal("Suspended", later.GetProperty("runtimeStatus").GetString());
        // At most the chunk that was already running may land while suspended.
        Assert.InRange(later.GetProperty("step").GetInt64(), suspended.GetProperty("step").GetInt64(), suspended.GetProperty("step").GetInt64() + 10);

        using HttpResponseMessage resume = await fixture.Http.PostAsync(new Uri("/runtime/webhooks/durabletask/instances/e2e-suspend/resume?reason=test", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        JsonElement done = await WaitForSummaryAsync("e2e-suspend", summary => summary.GetProperty("runtimeStatus").GetString() == "Completed");
        Assert.Equal(300, done.GetProperty("step").GetInt64());
        Assert.Equal("Completed", done.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task ListRoute_ShowsRecentRunsNewestFirst()
    {
        await StartAsync("""{"runId":"e2e-list-a","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":10},"execution":{"stepsPerChunk":10}}""");
        await StartAsync("""{"runId":"e2e-list-b","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":10},"execution":{"stepsPerChunk":10}}""");

        JsonElement runs = await GetJsonAsync("/api/training?top=100");

        string[] ids = runs.EnumerateArray().Select(run => run.GetProperty("runId").GetString()!).ToArray();
        Assert.True(Array.IndexOf(ids, "e2e-list-b") < Array.IndexOf(ids, "e2e-list-a") && Array.IndexOf(ids, "e2e-list-a") >= 0, string.Join(",", ids));
    }

    [Theory]
    [InlineData("/api/training?top=0")]
    [InlineData("/api/training?top=abc")]
    public async Task ListRoute_WithABadTop_Answers400(string path)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ModelRoutes_ExportAFinishedRunForPyTorchAndOnnx_AndRefuseWhatCannotBeExported()
    {
        await StartAsync("""{"runId":"e2e-export","data":{"dataset":"synthetic"},"model":{"architecture":"mlp","parameters":{"hiddenLayers":2,"batchNorm":true,"dropout":0.1}},"training":{"gradientAccumulationSteps":2,"batchSize":16,"maxSteps":40},"execution":{"stepsPerChunk":20}}""");
        using (HttpResponseMessage early = await fixture.Http.GetAsync(new Uri("/api/training/e2e-export/model", UriKind.Relative)))
        {
            // Either still running (no final checkpoint yet) or, on a fast machine, already exportable.
            Assert.True(early.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.OK, early.StatusCode.ToString());
        }

        await WaitForSummaryAsync("e2e-export", summary => summary.GetProperty("runtimeStatus").GetString() == "Completed");

        using HttpResponseMessage model = await fixture.Http.GetAsync(new Uri("/api/training/e2e-export/model", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("e2e-export.pt", model.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        byte[] weights = await model.Content.ReadAsByteArrayAsync();
        Assert.Equal("PK"u8.ToArray(), weights[..2]); // torch.save's zip container
        JsonElement spec = await GetJsonAsync("/api/training/e2e-export/model/spec");
        Assert.Equal("durabletrainer-model/3", spec.GetProperty("format").GetString());
        Assert.Equal("mlp", spec.GetProperty("model").GetString());
        Assert.Equal(2, spec.GetProperty("parameters").GetProperty("hiddenLayers").GetInt32());
        Assert.Equal(1, spec.GetProperty("parameters").GetProperty("batchNorm").GetInt32());
        Assert.Contains(spec.GetProperty("layers").EnumerateArray(), layer => layer.GetProperty("name").GetString() == "bn2");
        Assert.Equal(40, spec.GetProperty("replicaSteps").GetInt64());
        using HttpResponseMessage safetensors = await fixture.Http.GetAsync(new Uri("/api/training/e2e-export/model?format=safetensors", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, safetensors.StatusCode);

        using HttpResponseMessage onnx = await fixture.Http.GetAsync(new Uri("/api/training/e2e-export/model?format=onnx", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, onnx.StatusCode);
        Assert.Equal("e2e-export.onnx", onnx.Content.Headers.ContentDisposition?.FileNameStar ?? onnx.Content.Headers.ContentDisposition?.FileName?.Trim('"'));

        using HttpResponseMessage badFormat = await fixture.Http.GetAsync(new Uri("/api/training/e2e-export/model?format=keras", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        Assert.Contains("format", await badFormat.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using HttpResponseMessage unknown = await fixture.Http.GetAsync(new Uri("/api/training/no-such-run/model", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
