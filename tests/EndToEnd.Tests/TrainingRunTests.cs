using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

public sealed class TrainingRunTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private static readonly string[] ManagementUrls =
        ["statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri", "resumePostUri"];

    private async Task<HttpResponseMessage> PostAsync(string json) =>
        await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), json);

    private async Task<JsonElement> WaitForEndAsync(string statusUri, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri(statusUri));
            string body = await response.Content.ReadAsStringAsync();
            JsonElement status = JsonDocument.Parse(body).RootElement.Clone();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return status;
            }

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The run did not end within {timeout}. Last status: {body}\nWorker log:\n{fixture.Worker.Process.ReadLogTail()}");
            }

            await Task.Delay(250);
        }
    }

    private async Task<string[]> CheckpointBlobsAsync(string runId)
    {
        var container = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("checkpoints");
        if (!await container.ExistsAsync())
        {
            return [];
        }

        var names = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, runId + "/", CancellationToken.None))
        {
            names.Add(blob.Name);
        }

        return [.. names];
    }

    [Fact]
    public async Task PostedSyntheticRun_TrainsToCompletionThroughTheDurableEngine()
    {
        using HttpResponseMessage start = await PostAsync("""
            {"runId":"e2e-single","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"epochs":2},"evaluation":{"intervalSteps":64},"execution":{"stepsPerChunk":40}}
            """);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        JsonElement payload = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("e2e-single", payload.GetProperty("id").GetString());
        Assert.All(ManagementUrls, name => Assert.StartsWith(fixture.Worker.BaseAddress.ToString().TrimEnd('/'), payload.GetProperty(name).GetString(), StringComparison.Ordinal));
        Assert.Equal(payload.GetProperty("statusQueryGetUri").GetString(), start.Headers.Location!.ToString());

        JsonElement status = await WaitForEndAsync(payload.GetProperty("statusQueryGetUri").GetString()!, TimeSpan.FromMinutes(3));

        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
        Assert.Equal("Training", status.GetProperty("name").GetString());
        JsonElement output = status.GetProperty("output");
        Assert.Equal("Completed", output.GetProperty("status").GetString());
        // 4096 synthetic examples less the 10 % validation hold-out leave 3686: 58 batches of 64 an epoch; 2 epochs
        // in chunks of 40 -> 40, 40, 36: 3 rounds.
        Assert.Equal(116, output.GetProperty("stepsDone").GetInt64());
        Assert.Equal(3, output.GetProperty("rounds").GetInt64());
        double accuracy = output.GetProperty("finalEvaluation").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy > 0.5, $"Test accuracy {accuracy} is not clearly above chance (0.1).");
        JsonElement progress = status.GetProperty("customStatus");
        Assert.Equal(116, progress.GetProperty("step").GetInt64());
        Assert.Equal(116, progress.GetProperty("totalSteps").GetInt64());
        Assert.Equal(3, progress.GetProperty("round").GetInt64());
        Assert.True(progress.GetProperty("lastLoss").GetDouble() > 0);
        Assert.Equal(accuracy, progress.GetProperty("lastEvaluation").GetProperty("accuracy").GetDouble());
        // The final checkpoint measured on the 1024 test images, apart from the validation figures above.
        JsonElement test = output.GetProperty("testEvaluation");
        Assert.Equal(116, test.GetProperty("step").GetInt64());
        Assert.InRange(test.GetProperty("accuracy").GetDouble(), 0.5, 1.0);

        // Retention: the newest, the best, and checkpoints at interval boundaries (step 0 and the end) stay; rounds
        // that are none of these were pruned.
        string[] blobs = await CheckpointBlobsAsync("e2e-single");
        string best = output.GetProperty("bestCheckpoint").GetString()!;
        Assert.Contains("e2e-single/initial.ckpt", blobs);
        Assert.Contains("e2e-single/round-000003/replica-00.ckpt", blobs);
        Assert.Contains(best + ".ckpt", blobs);
        Assert.Equal(blobs.Length, new[] { "e2e-single/initial", "e2e-single/round-000003/replica-00", best }.Distinct().Count());
        Assert.Equal("e2e-single/round-000003/replica-00", output.GetProperty("finalCheckpoint").GetString());
    }

    [Fact]
    public async Task PostedRunWithReplicas_FansOutAndMergesEveryRound()
    {
        using HttpResponseMessage start = await PostAsync("""
            {"runId":"e2e-replicas","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":120},"replicas":{"count":2},"execution":{"stepsPerChunk":30}}
            """);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        string statusUri = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("statusQueryGetUri").GetString()!;

        JsonElement status = await WaitForEndAsync(statusUri, TimeSpan.FromMinutes(3));

        JsonElement output = status.GetProperty("output");
        Assert.Equal("Completed", output.GetProperty("status").GetString());
        Assert.Equal(120, output.GetProperty("stepsDone").GetInt64());
        Assert.True(output.GetProperty("finalEvaluation").GetProperty("accuracy").GetDouble() > 0.3);
        // Replica outputs are merged and then pruned; the merged global checkpoint remains.
        string[] blobs = await CheckpointBlobsAsync("e2e-replicas");
        Assert.Contains("e2e-replicas/round-000002/merged.ckpt", blobs);
        Assert.DoesNotContain(blobs, blob => blob.Contains("/replica-", StringComparison.Ordinal));
        Assert.Equal("e2e-replicas/round-000002/merged", output.GetProperty("finalCheckpoint").GetString());
    }

    [Theory]
    [InlineData("{not json", "body")]
    [InlineData("""{"runId":"bad-1","training":{"batchSize":0}}""", "training.batchSize")]
    [InlineData("""{"runId":"bad-2","optimizer":{"learningRate":"high"}}""", "optimizer.learningRate")]
    [InlineData("""{"runId":"bad-3","optimizer":{"name":"rmsprop"}}""", "optimizer.name")]
    [InlineData("""{"runId":"bad-4","surprise":true,"training":{"epochs":1}}""", "surprise")]
    [InlineData("""{"runId":"../../etc/passwd"}""", "runId")]
    [InlineData("""{"runId":"bad-5","replicas":{"count":1000}}""", "replicas.count")]
    public async Task BadInput_Answers400NamingTheFieldAndSchedulesNothing(string json, string field)
    {
        using HttpResponseMessage response = await PostAsync(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        JsonElement problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out JsonElement rules), $"No error for {field}: {problem}");
        Assert.NotEmpty(rules.EnumerateArray().First().GetString()!);

        foreach (string runId in new[] { "bad-1", "bad-2", "bad-3", "bad-4", "bad-5" })
        {
            using HttpResponseMessage status = await fixture.Http.GetAsync(new Uri($"/runtime/webhooks/durabletask/instances/{runId}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
            Assert.Empty(await CheckpointBlobsAsync(runId));
        }
    }

    [Fact]
    public async Task SameRunIdTwice_SecondIsAConflictAndTheFirstIsUntouched()
    {
        using HttpResponseMessage first = await PostAsync("""{"runId":"e2e-dup","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":10},"execution":{"stepsPerChunk":10}}""");
        using HttpResponseMessage second = await PostAsync("""{"runId":"e2e-dup","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":20}}""");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        string statusUri = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("statusQueryGetUri").GetString()!;
        JsonElement status = await WaitForEndAsync(statusUri, TimeSpan.FromMinutes(2));
        Assert.Equal(10, status.GetProperty("output").GetProperty("stepsDone").GetInt64());
    }

    [Theory]
    [InlineData("no-such-run")]
    [InlineData("Not%20Valid")]
    [InlineData("%2E%2E")]
    public async Task StatusOfAnUnknownOrMalformedInstance_Is404(string instanceId)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri($"/runtime/webhooks/durabletask/instances/{instanceId}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
