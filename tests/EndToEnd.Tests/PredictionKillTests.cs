using System.Net;
using System.Text.Json;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.TestSupport;
using Xunit.Abstractions;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// A batch prediction job whose workers are SIGKILLed at random points ends with the same parts, byte for byte
/// (the same rows and SHA-256 in its manifest), as the same job left alone. Its worker continues a job as new every
/// three parts, so the kills also land around the hand-overs between executions.
/// </summary>
public sealed class PredictionKillTests(ShortExecutionWorkerFixture fixture, ITestOutputHelper output) : IClassFixture<ShortExecutionWorkerFixture>
{
    private const int PartsPerExecution = 3;

    private const int Shards = 8;
    private const int RowsPerShard = 1500;

    [Fact]
    public async Task AJobWhoseWorkersAreKilledAtRandom_WritesTheSamePartsAsAnUndisturbedJob()
    {
        await TrainAsync();
        await UploadShardsAsync();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonElement calm = await WaitAsync(fixture.Http, await StartAsync("calm"));
        output.WriteLine($"The undisturbed job took {clock.Elapsed.TotalSeconds:F1} s.");

        string statusPath = await StartAsync("stormy");
        WorkerServer? replacement = null;
        HttpClient http = fixture.Http;
        var clients = new List<HttpClient>();
        var random = new Random();
        try
        {
            for (int kill = 0; kill < 2; kill++)
            {
                // A random number of parts in (at least one more than before, so each kill lands mid-job).
                int partsDone = (await StatusPolling.UntilAsync(http, statusPath, job => job.GetProperty("progress").ValueKind == JsonValueKind.Object, TimeSpan.FromMinutes(1))).GetProperty("progress").GetProperty("partsDone").GetInt32();
                int killAfter = partsDone + 1 + random.Next(2);
                JsonElement reached = await StatusPolling.UntilAsync(http, statusPath, job => Done(job) || job.GetProperty("progress").GetProperty("partsDone").GetInt32() >= killAfter, TimeSpan.FromMinutes(3));
                Assert.False(Done(reached), $"The job ended before kill {kill + 1}; give it more parts.");
                await Task.Delay(random.Next(400));
                WorkerServer victim = replacement ?? fixture.Worker;
                output.WriteLine($"Kill {kill + 1} after {killAfter} parts of {Shards}.");
                victim.Process.Kill();
                if (replacement is not null)
                {
                    await replacement.DisposeAsync();
                }

                replacement = await fixture.StartWorkerAsync($"replacement-{kill}.log");
                http = ClientOf(replacement, clients);
            }

            JsonElement stormy = await WaitAsync(http, statusPath);

            string[] Hashes(JsonElement job) => [.. job.GetProperty("manifest").GetProperty("parts").EnumerateArray().Select(part => $"{part.GetProperty("path").GetString()} {part.GetProperty("rows").GetInt64()} {part.GetProperty("sha256").GetString()}")];
            Assert.Equal(Shards, Hashes(calm).Length);
            Assert.Equal(Hashes(calm), Hashes(stormy));
            Assert.Equal(Shards * RowsPerShard, stormy.GetProperty("manifest").GetProperty("rows").GetInt64());
            // The last execution started with the parts of the earlier ones done: the job did continue as new.
            foreach (string job in new[] { "calm", "stormy" })
            {
                JsonElement instance = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/runtime/webhooks/durabletask/instances/{job}", UriKind.Relative))).RootElement;
                JsonElement input = instance.GetProperty("input");
                JsonElement lastInput = input.ValueKind == JsonValueKind.String ? JsonDocument.Parse(input.GetString()!).RootElement : input;
                Assert.Equal((Shards - 1) / PartsPerExecution * PartsPerExecution, lastInput.GetProperty("done").GetArrayLength());
            }
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
            if (replacement is not null)
            {
                await replacement.DisposeAsync();
            }
        }
    }

    private static HttpClient ClientOf(WorkerServer worker, List<HttpClient> clients)
    {
        var client = new HttpClient { BaseAddress = worker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        clients.Add(client);
        return client;
    }

    private static bool Done(JsonElement job) => job.GetProperty("runtimeStatus").GetString() is not ("Running" or "Pending");

    private async Task TrainAsync()
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            """{"runId":"kill-model","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":40},"execution":{"stepsPerChunk":40}}""");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        JsonElement run = await StatusPolling.UntilAsync(fixture.Http, "/api/training/kill-model", summary => summary.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed", TimeSpan.FromMinutes(3));
        Assert.Equal("Completed", run.GetProperty("runtimeStatus").GetString());
    }

    private async Task UploadShardsAsync()
    {
        var random = new Random(17);
        for (int shard = 0; shard < Shards; shard++)
        {
            float[] pixels = [.. Enumerable.Range(0, RowsPerShard * 784).Select(_ => (float)random.NextDouble())];
            using HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri($"/api/datasets/kill-rows/shard-{shard}.npy", UriKind.Relative), DataFiles.Npy(pixels, RowsPerShard, 1, 28, 28));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }
    }

    private async Task<string> StartAsync(string id)
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/predictions", UriKind.Relative),
            $$"""{"predictionId":"{{id}}","model":{"run":"kill-model"},"data":{"source":"kill-rows/","sharded":true},"output":{"format":"csv"},"parallelism":2}""");
        string body = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, body);
        return $"/api/predictions/{id}";
    }

    private static async Task<JsonElement> WaitAsync(HttpClient http, string statusPath)
    {
        JsonElement job = await StatusPolling.UntilAsync(http, statusPath, Done, TimeSpan.FromMinutes(4));
        Assert.True(job.GetProperty("runtimeStatus").GetString() == "Completed", job.ToString());
        return job;
    }
}

/// <summary>A worker whose prediction jobs continue as new every few parts, as a job of thousands of parts does every few hundred.</summary>
public sealed class ShortExecutionWorkerFixture : WorkerFixture
{
    protected override IReadOnlyDictionary<string, string> WorkerSettings { get; } =
        new Dictionary<string, string>(Settings) { ["Predictions__PartsPerExecution"] = "3" };
}
