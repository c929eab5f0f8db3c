using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Serializing;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Runs in flight when a worker of another build takes over: a version this build continues (the unversioned runs
/// of the builds before versions existed) completes; any other fails at once, saying which versions and what to do,
/// and writes nothing. The runs are put in the task hub as the other build's client would have, with its version.
/// </summary>
public sealed class OrchestrationVersionTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task ARunOfAnotherBuild_ContinuesWhenThisBuildReplaysItsVersion_AndOtherwiseFailsAtOnceSayingWhatToDo()
    {
        using var body = new StringContent(
            """{"runId":"e2e-version-current","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":20},"execution":{"stepsPerChunk":10}}""", Encoding.UTF8, "application/json");
        using (HttpResponseMessage started = await fixture.Http.PostAsync(new Uri("/api/training", UriKind.Relative), body))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        JsonElement current = await EndAsync("e2e-version-current");
        Assert.Equal("Completed", current.GetProperty("runtimeStatus").GetString());
        // The input the engine stored for it: the same run, as an older build (or a newer one) would have started it.
        string input = await StoredInputAsync("e2e-version-current");
        using var otherBuildsHub = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(fixture.Azurite.ConnectionString),
            TaskHubName = fixture.HubName,
        });
        var otherBuild = new TaskHubClient(otherBuildsHub, new RawJson());

        await otherBuild.CreateOrchestrationInstanceAsync("Training", string.Empty, "e2e-version-unversioned", input.Replace("e2e-version-current", "e2e-version-unversioned", StringComparison.Ordinal));
        await otherBuild.CreateOrchestrationInstanceAsync("Training", "999-future", "e2e-version-newer", input.Replace("e2e-version-current", "e2e-version-newer", StringComparison.Ordinal));
        JsonElement unversioned = await EndAsync("e2e-version-unversioned");
        JsonElement newer = await EndAsync("e2e-version-newer");

        Assert.Equal("Completed", unversioned.GetProperty("runtimeStatus").GetString());
        Assert.Equal(current.GetProperty("output").GetProperty("stepsDone").GetInt64(), unversioned.GetProperty("output").GetProperty("stepsDone").GetInt64());
        Assert.Equal("Failed", newer.GetProperty("runtimeStatus").GetString());
        JsonElement output = newer.GetProperty("output");
        string refusal = output.ValueKind == JsonValueKind.Object ? output.GetProperty("message").GetString()! : output.ToString();
        Assert.Contains("version '999-future'", refusal, StringComparison.Ordinal);
        Assert.Contains("this worker runs version '", refusal, StringComparison.Ordinal);
        Assert.Contains("docs/upgrades.md", refusal, StringComparison.Ordinal);
        BlobContainerClient checkpoints = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("checkpoints");
        int written = 0;
        await foreach (Azure.Storage.Blobs.Models.BlobItem _ in checkpoints.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "e2e-version-newer/", CancellationToken.None))
        {
            written++;
        }

        Assert.Equal(0, written);
    }

    private Task<JsonElement> EndAsync(string runId) => StatusPolling.UntilAsync(
        fixture.Http, $"/runtime/webhooks/durabletask/instances/{runId}", status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated",
        TimeSpan.FromMinutes(3), () => fixture.Worker.Process.ReadLogTail());

    private async Task<string> StoredInputAsync(string runId)
    {
        JsonElement status = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/runtime/webhooks/durabletask/instances/{runId}?showHistory=true&showHistoryOutput=true", UriKind.Relative))).RootElement;
        return status.GetProperty("historyEvents").EnumerateArray().First(e => e.GetProperty("EventType").GetString() == "ExecutionStarted").GetProperty("Input").GetString()!;
    }

    /// <summary>The input is already the JSON the engine stores: passed through as it is.</summary>
    private sealed class RawJson : DataConverter
    {
        public override string Serialize(object value) => (string)value;

        public override string Serialize(object value, bool formatted) => (string)value;

        public override object Deserialize(string data, Type objectType) => data;
    }
}
