using System.Text.Json;
using DurableTrainer.Contracts;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Api.Tests;

public class HttpContractTests
{
    [Fact]
    public void RuntimeStatus_TravelsByDurableFunctionsName_WhicheverOptionsWriteIt()
    {
        var status = new InstanceStatus("Training", "run-1", InstanceRuntimeStatus.ContinuedAsNew, null, null, null, DateTime.UnixEpoch, DateTime.UnixEpoch);
        var summary = new RunSummary("run-1", InstanceRuntimeStatus.Running, null, null, null, null, null, null, null, null, null, null, null, null, DateTime.UnixEpoch, DateTime.UnixEpoch);
        var sweep = new SweepSummary("sweep-1", InstanceRuntimeStatus.Suspended, DateTime.UnixEpoch, DateTime.UnixEpoch, null);

        foreach (JsonSerializerOptions options in new[] { MessageJson.Options, JsonSerializerOptions.Default, JsonSerializerOptions.Web })
        {
            Assert.Contains("\"runtimeStatus\":\"ContinuedAsNew\"", JsonSerializer.Serialize(status, options), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("\"ContinuedAsNew\"", JsonSerializer.Serialize(status, options), StringComparison.Ordinal);
            Assert.Contains("\"Running\"", JsonSerializer.Serialize(summary, options), StringComparison.Ordinal);
            Assert.Contains("\"Suspended\"", JsonSerializer.Serialize(sweep, options), StringComparison.Ordinal);
            Assert.Equal(InstanceRuntimeStatus.ContinuedAsNew, JsonSerializer.Deserialize<InstanceStatus>(JsonSerializer.Serialize(status, options), options)!.RuntimeStatus);
        }
    }

    [Fact]
    public void ManagementPayload_HasEveryDurableFunctionsUrlUnderTheInstancesRoute()
    {
        var payload = ManagementPayload.Create("http://127.0.0.1:7071/", "run-1", "Hub");
        string json = JsonSerializer.Serialize(payload);

        using var document = JsonDocument.Parse(json);
        string[] names = document.RootElement.EnumerateObject().Select(property => property.Name).ToArray();
        Assert.Equal(
            new[] { "id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri", "resumePostUri" },
            names);
        Assert.Equal("http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/run-1?taskHub=Hub", payload.StatusQueryGetUri);
        Assert.StartsWith("http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/run-1/raiseEvent/{eventName}?", payload.SendEventPostUri, StringComparison.Ordinal);
        Assert.Contains("/terminate?reason={text}", payload.TerminatePostUri, StringComparison.Ordinal);
        Assert.Contains("/suspend?reason={text}", payload.SuspendPostUri, StringComparison.Ordinal);
        Assert.Contains("/resume?reason={text}", payload.ResumePostUri, StringComparison.Ordinal);
    }

    [Fact]
    public void InstanceStatus_SerializesInTheDurableFunctionsShape()
    {
        var status = new InstanceStatus("Training", "run-1", InstanceRuntimeStatus.Running, InstanceStatus.ParsePayload("""{"a":1}"""), null, null, DateTime.UnixEpoch, DateTime.UnixEpoch);

        using var document = JsonDocument.Parse(JsonSerializer.Serialize(status));

        Assert.Equal(
            new[] { "name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime" },
            document.RootElement.EnumerateObject().Select(property => property.Name).ToArray());
        Assert.Equal(1, document.RootElement.GetProperty("input").GetProperty("a").GetInt32());
        Assert.True(status.IsRunning);
    }

    [Fact]
    public void ParsePayload_PlainTextOutput_BecomesAJsonString()
    {
        JsonElement? parsed = InstanceStatus.ParsePayload("terminated by user");

        Assert.Equal(JsonValueKind.String, parsed!.Value.ValueKind);
        Assert.Equal("terminated by user", parsed.Value.GetString());
    }

    [Fact]
    public void ValidationProblem_GroupsRulesByField()
    {
        var problem = ProblemDetailsFactory.Validation([new("training.batchSize", "must be positive"), new("training.batchSize", "must be small"), new("model.architecture", "must be known")]);

        Assert.Equal(400, problem.Status);
        Assert.Equal(new[] { "must be positive", "must be small" }, problem.Errors["training.batchSize"]);
        Assert.Equal(new[] { "must be known" }, problem.Errors["model.architecture"]);
    }
}
