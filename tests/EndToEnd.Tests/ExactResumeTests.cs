using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// 2H steps in one chunk, versus H steps, a checkpoint, a new worker process, and H more steps: bitwise the same
/// weights (and optimizer state) at a fixed thread count.
/// </summary>
public sealed class ExactResumeTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task TwoChunksAcrossAProcessRestart_EqualOneChunkOfBothLengthsBitwise()
    {
        HttpClient http = fixture.Http;
        string whole = await StartAsync(http, "resume-whole", stepsPerChunk: 120);
        await WaitAsync(http, whole, status => status.GetProperty("runtimeStatus").GetString() == "Completed");

        string split = await StartAsync(http, "resume-split", stepsPerChunk: 60);
        await WaitAsync(http, split, status => status.GetProperty("customStatus").ValueKind == JsonValueKind.Object && status.GetProperty("customStatus").GetProperty("step").GetInt64() >= 60);

        // The first chunk's checkpoint is in blob storage; the process that wrote it goes away for good (SIGKILL), so
        // the second chunk runs, or runs again, in a new process that starts from that checkpoint.
        fixture.Worker.Process.Kill();
        await using WorkerServer replacement = await fixture.StartWorkerAsync("resume-replacement.log");
        using var next = new HttpClient { BaseAddress = replacement.BaseAddress };

        JsonElement done = await WaitAsync(next, split, status => status.GetProperty("runtimeStatus").GetString() == "Completed");
        Assert.Equal(120, done.GetProperty("output").GetProperty("stepsDone").GetInt64());
        JsonElement reference = await WaitAsync(next, whole, _ => true);
        Assert.Equal(await HashAsync(reference), await HashAsync(done));
    }

    private static async Task<string> StartAsync(HttpClient http, string runId, int stepsPerChunk)
    {
        string body = $$"""{"runId":"{{runId}}","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":120,"seed":9},"evaluation":{"intervalSteps":100000},"execution":{"stepsPerChunk":{{stepsPerChunk}}} }""";
        using HttpResponseMessage response = await http.PostAsync(new Uri("/api/training", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return runId;
    }

    private static Task<JsonElement> WaitAsync(HttpClient http, string runId, Func<JsonElement, bool> done) =>
        StatusPolling.UntilAsync(http, $"/runtime/webhooks/durabletask/instances/{runId}", done, TimeSpan.FromMinutes(4));

    private async Task<string> HashAsync(JsonElement status)
    {
        string final = status.GetProperty("output").GetProperty("finalCheckpoint").GetString()!;
        var blob = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("checkpoints").GetBlobClient(final + ".ckpt");
        return Convert.ToHexString(SHA256.HashData((await blob.DownloadContentAsync()).Value.Content.ToArray()));
    }
}
