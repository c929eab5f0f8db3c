using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Sharded data across a killed worker: one run in a single chunk, another whose worker is SIGKILLed after its first
/// chunk, so a new process (with an empty shard cache) surveys the shards again and resumes the cursor mid-epoch.
/// Both end bitwise the same.
/// </summary>
public sealed class ShardedResumeTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task AShardedRun_ResumedInANewProcessAfterAKill_EqualsOneUninterruptedChunkBitwise()
    {
        HttpClient http = fixture.Http;
        (float[] features, long[] labels) = DataFiles.QuadrantImages(900, size: 16);
        for (int shard = 0; shard < 9; shard++)
        {
            byte[] npz = DataFiles.Npz(
                ("x", DataFiles.Npy(features.Skip(shard * 100 * 256).Take(100 * 256).ToArray(), 100, 1, 16, 16)),
                ("y", DataFiles.Npy(labels.Skip(shard * 100).Take(100).ToArray(), 100)));
            using HttpResponseMessage put = await http.PutBytesAsync(new Uri($"/api/datasets/resume-shards/part-{shard}.npz", UriKind.Relative), npz);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        string whole = await StartAsync(http, "shards-whole", stepsPerChunk: 400);

        // 190 steps of 16 stop in the middle of a shard of the sixth epoch (600 training examples, 38 batches each).
        (JsonElement done, string replacementLog) = await ResumeAcrossAKill.FinishSplitRunInANewProcessAsync(
            fixture, whole, attempt => StartAsync(http, $"shards-split-{attempt}", stepsPerChunk: 190), step: 190, "shards-replacement.log");

        Assert.Equal(400, done.GetProperty("output").GetProperty("stepsDone").GetInt64());
        // The new process ran the rest of the split run's chunks: its cache started empty.
        Assert.Contains("Chunk shards-split-", replacementLog, StringComparison.Ordinal);
    }

    private static async Task<string> StartAsync(HttpClient http, string runId, int stepsPerChunk)
    {
        string body = $$"""{"runId":"{{runId}}","data":{"source":"resume-shards/","sharded":true},"model":{"architecture":"cnn"},"training":{"maxSteps":400,"batchSize":16,"seed":4},"evaluation":{"intervalSteps":100000},"execution":{"stepsPerChunk":{{stepsPerChunk}}} }""";
        using HttpResponseMessage response = await http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return runId;
    }
}
