using System.Net;
using System.Text.Json;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// A run suspended mid-chunk whose worker is then SIGKILLed: a new worker on the same task hub takes the run over,
/// keeps it suspended until it is resumed, and then completes it.
/// </summary>
public sealed class SuspendedWorkerCrashTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task SuspendedRunWhoseWorkerIsKilled_ResumesOnANewWorkerAndCompletes()
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(
            new Uri("/api/training", UriKind.Relative),
            """{"runId":"e2e-suspend-crash","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":240},"execution":{"stepsPerChunk":60}}""");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        const string statusPath = "/runtime/webhooks/durabletask/instances/e2e-suspend-crash";
        await StatusPolling.UntilAsync(fixture.Http, statusPath, status => status.GetProperty("customStatus").ValueKind == JsonValueKind.Object
            && status.GetProperty("customStatus").GetProperty("round").GetInt64() >= 1, TimeSpan.FromMinutes(2));

        using (HttpResponseMessage suspend = await fixture.Http.PostAsync(new Uri(statusPath + "/suspend?reason=test", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, suspend.StatusCode);
        }

        await StatusPolling.UntilAsync(fixture.Http, statusPath, status => status.GetProperty("runtimeStatus").GetString() == "Suspended", TimeSpan.FromMinutes(1));
        fixture.Worker.Process.Kill();

        await using WorkerServer replacement = await fixture.StartWorkerAsync("replacement.log");
        using var http = new HttpClient { BaseAddress = replacement.BaseAddress };
        // Still suspended on the new worker: a chunk finishing meanwhile must not carry the run on by itself.
        await Task.Delay(TimeSpan.FromSeconds(3));
        JsonElement held = JsonDocument.Parse(await http.GetStringAsync(new Uri(statusPath, UriKind.Relative))).RootElement;
        Assert.Equal("Suspended", held.GetProperty("runtimeStatus").GetString());
        using (HttpResponseMessage resume = await http.PostAsync(new Uri(statusPath + "/resume?reason=test", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        }

        JsonElement final = await StatusPolling.UntilAsync(http, statusPath, status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated",
            TimeSpan.FromMinutes(4));
        Assert.Equal("Completed", final.GetProperty("runtimeStatus").GetString());
        Assert.Equal(240, final.GetProperty("output").GetProperty("stepsDone").GetInt64());
    }
}
