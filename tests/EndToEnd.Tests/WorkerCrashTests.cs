using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>A worker killed with SIGKILL mid-run loses nothing: a new worker on the same task hub finishes the run.</summary>
public sealed class WorkerCrashTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task WorkerKilledMidChunk_ANewWorkerResumesAndCompletesTheRun()
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(
            new Uri("/api/training", UriKind.Relative),
            """{"runId":"e2e-crash","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":240},"evaluation":{"intervalSteps":120},"execution":{"stepsPerChunk":60}}""");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        string statusPath = new Uri(JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("statusQueryGetUri").GetString()!).PathAndQuery;

        // Kill as soon as the first round is recorded: the second chunk is then running.
        await StatusPolling.UntilAsync(fixture.Http, statusPath, status => status.GetProperty("customStatus").ValueKind == JsonValueKind.Object
            && status.GetProperty("customStatus").GetProperty("round").GetInt64() >= 1, TimeSpan.FromMinutes(2));
        JsonElement journalBefore = await StatusPolling.UntilAsync(fixture.Http, "/api/training/e2e-crash/metrics",
            metrics => metrics.GetProperty("records").EnumerateArray().Any(record => record.GetProperty("kind").GetString() == "step"), TimeSpan.FromMinutes(1));
        fixture.Worker.Process.Kill();
        var killedAt = Stopwatch.StartNew();

        await using WorkerServer replacement = await fixture.StartWorkerAsync("replacement.log");
        using var http = new HttpClient { BaseAddress = replacement.BaseAddress };
        JsonElement final = await StatusPolling.UntilAsync(http, statusPath, status => status.GetProperty("runtimeStatus").GetString() != "Running"
            && status.GetProperty("runtimeStatus").GetString() != "Pending", TimeSpan.FromMinutes(4));

        Assert.Equal("Completed", final.GetProperty("runtimeStatus").GetString());
        JsonElement output = final.GetProperty("output");
        Assert.Equal("Completed", output.GetProperty("status").GetString());
        Assert.Equal(240, output.GetProperty("stepsDone").GetInt64());
        Assert.True(killedAt.Elapsed < TimeSpan.FromMinutes(3), $"Recovery took {killedAt.Elapsed}.");

        // The metrics journal outlives the worker: what it held before the kill is still there, and every step
        // appears exactly once although the killed chunk ran again on the new worker.
        JsonElement[] after = [.. JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/training/e2e-crash/metrics", UriKind.Relative))).RootElement.GetProperty("records").EnumerateArray()];
        var identities = after.Select(Identity).ToHashSet();
        JsonElement[] before = [.. journalBefore.GetProperty("records").EnumerateArray()];
        Assert.NotEmpty(before);
        Assert.All(before, record => Assert.Contains(Identity(record), identities));
        Assert.Equal(Enumerable.Range(1, 240).Select(step => (long)step), after.Where(record => record.GetProperty("kind").GetString() == "step").Select(record => record.GetProperty("step").GetInt64()));
        JsonElement stop = Assert.Single(after, record => record.GetProperty("kind").GetString() == "stop");
        Assert.Equal("Completed", stop.GetProperty("status").GetString());
        // After the stop, the test split's verdict on the final checkpoint.
        Assert.Equal(("test", "final"), (after[^1].GetProperty("kind").GetString(), after[^1].GetProperty("status").GetString()));
    }

    private static string Identity(JsonElement record) =>
        $"{record.GetProperty("kind").GetString()}/{record.GetProperty("step").GetInt64()}/{(record.TryGetProperty("replica", out JsonElement replica) ? replica.GetInt32() : -1)}/{(record.TryGetProperty("checkpoint", out JsonElement checkpoint) ? checkpoint.GetString() : null)}";
}
