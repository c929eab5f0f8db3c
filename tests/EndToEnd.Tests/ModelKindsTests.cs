using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// A declarative model and the residual built-in train to completion through the real worker and Azurite, two
/// replicas merged with the outer Nesterov step; the stored input is the resolved specification; an old flat
/// request is refused with the new path of each field.
/// </summary>
public sealed class ModelKindsTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private const string DeclarativeModel = """
        {"layers":[
          {"type":"conv2d","channels":4,"padding":1},{"type":"batchnorm"},{"type":"relu"},
          {"type":"residual","name":"block","layers":[{"type":"conv2d","channels":4,"padding":1},{"type":"relu"},{"type":"dropout","p":0.1}]},
          {"type":"maxpool2d","kernel":4},{"type":"flatten"},{"type":"linear","units":10}]}
        """;

    [Fact]
    public async Task DeclarativeModelWithAResidualBlock_TrainsOnTwoReplicasAndStoresItsResolvedLayers()
    {
        string body = $$"""
            {"runId":"e2e-declarative","data":{"dataset":"synthetic"},"model":{{DeclarativeModel}},
             "optimizer":{"learningRate":0.01},"training":{"maxSteps":120,"batchSize":32},
             "replicas":{"count":2,"merge":"outer-nesterov"},"evaluation":{"intervalSteps":60},"execution":{"stepsPerChunk":30} }
            """;

        JsonElement status = await RunToEndAsync(body);

        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
        JsonElement output = status.GetProperty("output");
        Assert.Equal(120, output.GetProperty("stepsDone").GetInt64());
        double accuracy = output.GetProperty("testEvaluation").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy > 0.3, $"Test accuracy {accuracy} is not clearly above chance (0.1).");
        JsonElement layers = status.GetProperty("input").GetProperty("specification").GetProperty("model").GetProperty("layers");
        Assert.Equal(["conv2d1", "batchnorm2", "relu3", "block", "maxpool2d5", "flatten6", "linear7"], layers.EnumerateArray().Select(layer => layer.GetProperty("name").GetString()));
        Assert.Equal("outer-nesterov", status.GetProperty("input").GetProperty("specification").GetProperty("replicas").GetProperty("merge").GetString());
    }

    [Fact]
    public async Task ResidualBuiltIn_TrainsToCompletion()
    {
        JsonElement status = await RunToEndAsync("""
            {"runId":"e2e-resnet","data":{"dataset":"synthetic"},"model":{"architecture":"resnet","parameters":{"width":4,"stages":2,"blocks":1}},
             "training":{"maxSteps":40,"batchSize":32},"execution":{"stepsPerChunk":20}}
            """);

        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
        JsonElement parameters = status.GetProperty("input").GetProperty("specification").GetProperty("model").GetProperty("parameters");
        Assert.Equal(0, parameters.GetProperty("dropout").GetDouble());
        Assert.True(double.IsFinite(status.GetProperty("output").GetProperty("finalEvaluation").GetProperty("loss").GetDouble()));
    }

    [Fact]
    public async Task OldFlatRequest_Gets400NamingTheNewPathOfEachField()
    {
        using HttpResponseMessage response = await PostAsync("""{"runId":"e2e-flat","learningRate":0.01,"epochs":2,"model":"mlp"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("optimizer.learningRate", errors.GetProperty("learningRate")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("training.epochs", errors.GetProperty("epochs")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("model.architecture", errors.GetProperty("model")[0].GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> RunToEndAsync(string body)
    {
        using HttpResponseMessage start = await PostAsync(body);
        string text = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, text);
        string statusUri = JsonDocument.Parse(text).RootElement.GetProperty("statusQueryGetUri").GetString()!;
        return await StatusPolling.UntilAsync(
            fixture.Http,
            new Uri(statusUri).PathAndQuery,
            status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated",
            TimeSpan.FromMinutes(4));
    }

    private Task<HttpResponseMessage> PostAsync(string json) =>
        fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), json);
}
