using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// The shape of every exact-resume test: one run in a single chunk, another in chunks whose worker is SIGKILLed
/// once its first chunk is done, so the rest runs (or runs again) in a new process from the checkpoint in blob
/// storage; then both final checkpoints are compared byte for byte.
/// </summary>
internal static class ResumeAcrossAKill
{
    /// <summary>
    /// Waits for the <paramref name="whole"/> run to complete, starts the split run, kills the fixture's worker once
    /// that run has reached <paramref name="step"/>, finishes it in a replacement, compares the two final checkpoints,
    /// and returns the split run's final status and the replacement's log.
    /// </summary>
    public static async Task<(JsonElement Split, string ReplacementLog)> FinishSplitRunInANewProcessAsync(WorkerFixture fixture, string whole, Func<Task<string>> startSplit, long step, string logName)
    {
        await WaitAsync(fixture.Http, whole, status => status.GetProperty("runtimeStatus").GetString() == "Completed");
        string split = await startSplit();
        await WaitAsync(fixture.Http, split, status => status.GetProperty("customStatus").ValueKind == JsonValueKind.Object && status.GetProperty("customStatus").GetProperty("step").GetInt64() >= step);
        // The first chunk's checkpoint is in blob storage; the process that wrote it goes away for good (SIGKILL), so
        // the second chunk runs, or runs again, in a new process that starts from that checkpoint.
        fixture.Worker.Process.Kill();
        await using WorkerServer replacement = await fixture.StartWorkerAsync(logName);
        using var next = new HttpClient { BaseAddress = replacement.BaseAddress };
        JsonElement done = await WaitAsync(next, split, status => status.GetProperty("runtimeStatus").GetString() == "Completed");
        JsonElement reference = await WaitAsync(next, whole, _ => true);
        Assert.Equal(await FinalCheckpointHashAsync(fixture, reference), await FinalCheckpointHashAsync(fixture, done));
        return (done, await File.ReadAllTextAsync(Path.Combine(fixture.Azurite.WorkDirectory, logName)));
    }

    private static Task<JsonElement> WaitAsync(HttpClient http, string runId, Func<JsonElement, bool> done) =>
        StatusPolling.UntilAsync(http, $"/runtime/webhooks/durabletask/instances/{runId}", done, TimeSpan.FromMinutes(4));

    private static async Task<string> FinalCheckpointHashAsync(WorkerFixture fixture, JsonElement status)
    {
        string final = status.GetProperty("output").GetProperty("finalCheckpoint").GetString()!;
        var blob = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("checkpoints").GetBlobClient(final + ".ckpt");
        return Convert.ToHexString(SHA256.HashData((await blob.DownloadContentAsync()).Value.Content.ToArray()));
    }
}
