using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>Real faults against the real worker and Azurite: tampered checkpoints, many runs at once.</summary>
public sealed class FaultTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private BlobContainerClient Checkpoints => new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("checkpoints");

    private async Task<string> StartAsync(string json)
    {
        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private Task<JsonElement> WaitAsync(string runId, Func<JsonElement, bool> done, TimeSpan timeout) =>
        StatusPolling.UntilAsync(fixture.Http, $"/api/training/{runId}", done, timeout, () => fixture.Worker.Process.ReadLogTail());

    private static bool Ended(JsonElement summary) => summary.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated";

    [Fact]
    public async Task ATamperedCheckpoint_IsCaughtByItsHashAndTheRunFallsBackAndCompletes()
    {
        string runId = await StartAsync("""{"runId":"fault-corrupt","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":120},"checkpoints":{"intervalSteps":20,"keepLast":10},"execution":{"stepsPerChunk":20,"activityFirstRetrySeconds":0.2}}""");
        await WaitAsync(runId, summary => summary.GetProperty("step").ValueKind == JsonValueKind.Number && summary.GetProperty("step").GetInt64() >= 40, TimeSpan.FromMinutes(2));
        using (await fixture.Http.PostAsync(new Uri($"/runtime/webhooks/durabletask/instances/{runId}/suspend", UriKind.Relative), null))
        {
        }

        // The suspension takes effect when the orchestration next runs; wait for it rather than assume it, then let a
        // chunk already running finish, and tamper with the newest round output: the next thing the run reads.
        await WaitAsync(runId, summary => summary.GetProperty("runtimeStatus").GetString() is "Suspended", TimeSpan.FromMinutes(1));
        // A chunk already running when the suspension took effect still writes its output, and that output is what the
        // run reads next: wait for that chunk's end in the history (its output is written by then), not for a time.
        await StatusPolling.UntilNoActivityInFlightAsync(fixture.Http, runId, TimeSpan.FromMinutes(2), () => fixture.Worker.Process.ReadLogTail());
        string newest = await NewestRoundBlobAsync(runId);

        BlobClient blob = Checkpoints.GetBlobClient(newest);
        IDictionary<string, string> metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        byte[] content = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        content[content.Length / 2] ^= 0xFF;
        await blob.UploadAsync(new BinaryData(content), overwrite: true);
        await blob.SetMetadataAsync(metadata);
        using (await fixture.Http.PostAsync(new Uri($"/runtime/webhooks/durabletask/instances/{runId}/resume", UriKind.Relative), null))
        {
        }

        JsonElement done = await WaitAsync(runId, Ended, TimeSpan.FromMinutes(3));

        Assert.Equal("Completed", done.GetProperty("outcome").GetString());
        Assert.Equal(120, done.GetProperty("step").GetInt64());
        JsonElement status = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/runtime/webhooks/durabletask/instances/{runId}", UriKind.Relative))).RootElement;
        Assert.True(status.GetProperty("output").GetProperty("rollbacksUsed").GetInt32() >= 1, status.ToString());
    }

    [Fact]
    public async Task FiveRunsAtOnce_AllCompleteWithTheSameResultsAsEachRunAlone()
    {
        string Request(string id, int seed) => $$"""{"runId":"{{id}}","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":60,"seed":{{seed}}},"execution":{"stepsPerChunk":20} }""";
        string[] ids = await Task.WhenAll(Enumerable.Range(1, 5).Select(seed => StartAsync(Request($"fault-many-{seed}", seed))));
        JsonElement[] results = await Task.WhenAll(ids.Select(id => WaitAsync(id, Ended, TimeSpan.FromMinutes(4))));

        Assert.All(results, result => Assert.Equal("Completed", result.GetProperty("outcome").GetString()));
        Assert.Equal(5, (await Task.WhenAll(ids.Select(FinalCheckpointHashAsync))).Distinct().Count());

        // The same run alone ends on bitwise the same weights: nothing leaked between the five.
        string alone = await StartAsync(Request("fault-alone-3", 3));
        await WaitAsync(alone, Ended, TimeSpan.FromMinutes(2));
        Assert.Equal(await FinalCheckpointHashAsync("fault-many-3"), await FinalCheckpointHashAsync(alone));
    }

    private async Task<string> FinalCheckpointHashAsync(string runId)
    {
        JsonElement status = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/runtime/webhooks/durabletask/instances/{runId}", UriKind.Relative))).RootElement;
        string final = status.GetProperty("output").GetProperty("finalCheckpoint").GetString()!;
        byte[] content = (await Checkpoints.GetBlobClient(final + ".ckpt").DownloadContentAsync()).Value.Content.ToArray();
        return Convert.ToHexString(SHA256.HashData(content));
    }

    private async Task<string> NewestRoundBlobAsync(string runId)
    {
        var names = new List<string>();
        await foreach (BlobItem item in Checkpoints.GetBlobsAsync(BlobTraits.None, BlobStates.None, runId + "/round-", CancellationToken.None))
        {
            names.Add(item.Name);
        }

        return names.Order(StringComparer.Ordinal).Last();
    }
}
