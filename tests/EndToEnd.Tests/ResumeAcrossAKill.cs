using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// The shape of every exact-resume test: one run in a single chunk, another in chunks whose worker is SIGKILLed
/// once its first chunk is done, so the rest runs (or runs again) in a new process from the checkpoint in blob
/// storage; then both final checkpoints are compared byte for byte.
/// </summary>
internal static class ResumeAcrossAKill
{
    /// <summary>
    /// Waits for the <paramref name="whole"/> run to complete, starts a split run, SIGKILLs the fixture's worker once
    /// that run has reached <paramref name="step"/>, finishes it in a new process on the same port, compares the two
    /// final checkpoints, and returns the split run's final status and the new process's log.
    /// <para>
    /// The kill must land while the split run still has chunks to run, or nothing is resumed: on a busy machine the
    /// rest of a small run can end between two status polls. The new process's log shows whether it ran a chunk of
    /// the split run; when it did not, the scenario is repeated with a new split run (its id from the attempt), up to
    /// three times, and then the test fails saying so.
    /// </para>
    /// </summary>
    public static async Task<(JsonElement Split, string ReplacementLog)> FinishSplitRunInANewProcessAsync(WorkerFixture fixture, string whole, Func<int, Task<string>> startSplit, long step, string logName)
    {
        await WaitAsync(fixture.Http, whole, status => status.GetProperty("runtimeStatus").GetString() == "Completed");
        const int Attempts = 3;
        for (int attempt = 1; attempt <= Attempts; attempt++)
        {
            string split = await startSplit(attempt);
            await WaitAsync(fixture.Http, split, status => status.GetProperty("customStatus").ValueKind == JsonValueKind.Object && status.GetProperty("customStatus").GetProperty("step").GetInt64() >= step);
            // The first chunk's checkpoint is in blob storage; the process that wrote it goes away for good (SIGKILL), so
            // the rest runs, or runs again, in a new process that starts from that checkpoint.
            string log = await fixture.ReplaceWorkerAsync($"{Path.GetFileNameWithoutExtension(logName)}-{attempt}{Path.GetExtension(logName)}");
            JsonElement done = await WaitAsync(fixture.Http, split, status => status.GetProperty("runtimeStatus").GetString() == "Completed");
            string replacementLog = await File.ReadAllTextAsync(log);
            if (!replacementLog.Contains($"Chunk {split}/", StringComparison.Ordinal))
            {
                continue;
            }

            JsonElement reference = await WaitAsync(fixture.Http, whole, _ => true);
            Assert.Equal(await FinalCheckpointHashAsync(fixture, reference), await FinalCheckpointHashAsync(fixture, done));
            return (done, replacementLog);
        }

        Assert.Fail($"The split run ended before the kill in each of {Attempts} attempts, so no new process resumed it.");
        return default;
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
