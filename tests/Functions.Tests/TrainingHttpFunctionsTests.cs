using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Specification;
using DurableTrainer.Infrastructure.TorchSharp;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Functions.Tests;

public class TrainingHttpFunctionsTests
{
    private readonly RecordingDurableTaskClient _client = new();
    private readonly TrainingHttpFunctions _functions = Create();

    /// <summary>The functions as the host composes them: the real dataset catalog and the built-in model registry.</summary>
    internal static TrainingHttpFunctions Create() =>
        FunctionsComposition.Create<TrainingHttpFunctions>(services => services
            .AddSingleton<IModelExporter>(new NoExports())
            .AddSingleton<IDatasetCatalog>(Datasets)
            .AddSingleton<IModelCatalog>(ModelRegistry.BuiltIn.WithFiles(Files))
            .AddSingleton<IModelFileStore>(Files)
            .AddSingleton<IDatasetStore>(DataFiles));

    private static readonly DurableTrainer.TestSupport.InMemoryModelFileStore Files = new();

    private static readonly DurableTrainer.TestSupport.InMemoryDatasetStore DataFiles = new();

    // One catalog for the class's lifetime, as the host keeps one: it caches loaded datasets.
    private static readonly DatasetProvider Datasets = new(new TorchSharpExecutorOptions(), DataFiles);

    private static HttpRequest Request(string method, string body = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("trainer.example");
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return context.Request;
    }

    private static (int Status, JsonElement Body) Read(IActionResult result)
    {
        var content = Assert.IsType<ContentResult>(result);
        return (content.StatusCode!.Value, JsonDocument.Parse(content.Content!).RootElement);
    }

    [Theory]
    [InlineData("{\"training\":{\"batchSize\":0}}", "training.batchSize")]
    [InlineData("{\"optimizer\":{\"name\":\"lbfgs\"}}", "optimizer.name")]
    [InlineData("{\"optimizer\":{\"lr\":0.1}}", "optimizer.lr")]
    [InlineData("{\"optimizer\":\"lbfgs\"}", "optimizer")]
    [InlineData("{\"model\":{\"architecture\":\"transformer\"}}", "model.architecture")]
    [InlineData("{\"model\":{\"architecture\":\"mlp\",\"parameters\":{\"hiddenUnits\":0}}}", "model.parameters.hiddenUnits")]
    [InlineData("{\"model\":{\"architecture\":\"mlp\",\"parameters\":{\"convChannels\":16}}}", "model.parameters.convChannels")]
    [InlineData("{\"model\":{\"layers\":[{\"type\":\"flatten\"},7]}}", "model.layers[1]")]
    [InlineData("{\"execution\":{\"stepsPerChunk\":0}}", "execution.stepsPerChunk")]
    [InlineData("{\"batchSize\":0}", "batchSize")]
    [InlineData("{\"runId\":\"../secret\"}", "runId")]
    [InlineData("{oops", "body")]
    [InlineData("{\"extra\":1}", "extra")]
    public async Task Start_WithBadInput_Answers400NamingTheFieldAndSchedulesNothing(string body, string field)
    {
        var (status, problem) = Read(await _functions.Start(Request("POST", body), _client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty(_client.Scheduled);
    }

    [Fact]
    public async Task UploadModelFile_OfBytesThatAreNotTorchScript_Answers400AndStoresNothing()
    {
        var (status, problem) = Read(await _functions.UploadModelFile(Request("PUT", "not a model"), "net.pt", CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("is not a TorchScript file", problem.GetProperty("errors").GetProperty("body")[0].GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("net.pt", Files.Names);
    }

    [Fact]
    public async Task Start_NamingAModelFileThatIsNotInTheStore_Answers400UnderModelFile()
    {
        var (status, problem) = Read(await _functions.Start(Request("POST", "{\"model\":{\"file\":\"absent.pt\"}}"), _client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("is not in the model store", problem.GetProperty("errors").GetProperty("model.file")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(_client.Scheduled);
    }

    [Fact]
    public async Task Start_WithGoodInput_Answers202WithEveryManagementUrlAndSchedulesTheNormalizedRun()
    {
        HttpRequest request = Request("POST", "{\"runId\":\"fn-run\",\"model\":{\"architecture\":\"mlp\",\"parameters\":{\"hiddenUnits\":32}},\"training\":{\"epochs\":1}}");

        var (status, payload) = Read(await _functions.Start(request, _client, CancellationToken.None));

        Assert.Equal(202, status);
        Assert.Equal("fn-run", payload.GetProperty("id").GetString());
        foreach (string url in new[] { "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri", "resumePostUri" })
        {
            Assert.StartsWith("https://trainer.example/runtime/webhooks/durabletask/instances/fn-run", payload.GetProperty(url).GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(payload.GetProperty("statusQueryGetUri").GetString(), request.HttpContext.Response.Headers.Location.ToString());
        var scheduled = Assert.Single(_client.Scheduled);
        Assert.Equal("Training", scheduled.Name.Name);
        Assert.Equal("fn-run", scheduled.InstanceId);
        var input = Assert.IsType<TrainingRunInput>(scheduled.Input);
        Assert.Equal("fn-run", input.RunId.Value);
        Assert.Equal("mlp", input.Specification.Model.Architecture);
        Assert.Equal(32, input.Specification.Model.Parameters!["hiddenUnits"]);
        Assert.Equal(1, input.Specification.Training.Epochs);
        Assert.Equal(64, input.Specification.Training.BatchSize);
        Assert.Equal(ExecutionSettings.Default, input.Execution);
    }

    [Fact]
    public async Task Start_WithAnOldFlatBody_Answers400NamingEachOldFieldWithItsNewPath()
    {
        var (status, problem) = Read(await _functions.Start(Request("POST", "{\"learningRate\":0.01,\"epochs\":2}"), _client, CancellationToken.None));

        Assert.Equal(400, status);
        JsonElement errors = problem.GetProperty("errors");
        Assert.Contains("optimizer.learningRate", errors.GetProperty("learningRate")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("training.epochs", errors.GetProperty("epochs")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(_client.Scheduled);
    }

    [Fact]
    public async Task Start_WithDeclarativeLayers_SchedulesTheNamedLayers()
    {
        HttpRequest request = Request("POST", """
            {"runId":"fn-layers","data":{"dataset":"synthetic"},"model":{"layers":[{"type":"flatten"},{"type":"linear","units":32},{"type":"relu"},{"type":"linear","units":10}]},"training":{"maxSteps":20}}
            """);

        var (status, _) = Read(await _functions.Start(request, _client, CancellationToken.None));

        Assert.Equal(202, status);
        var input = Assert.IsType<TrainingRunInput>(Assert.Single(_client.Scheduled).Input);
        Assert.Null(input.Specification.Model.Architecture);
        Assert.Equal(new[] { "flatten", "linear", "relu", "linear" }, input.Specification.Model.Layers!.Select(layer => layer.Type).ToArray());
        Assert.All(input.Specification.Model.Layers!, layer => Assert.False(string.IsNullOrEmpty(layer.Name)));
        Assert.Equal(20, input.Specification.Training.MaxSteps);
    }

    [Fact]
    public async Task Start_WithAnExistingRunId_Answers409()
    {
        await _functions.Start(Request("POST", "{\"runId\":\"twice\"}"), _client, CancellationToken.None);

        var (status, _) = Read(await _functions.Start(Request("POST", "{\"runId\":\"twice\"}"), _client, CancellationToken.None));

        Assert.Equal(409, status);
        Assert.Single(_client.Scheduled);
    }

    [Fact]
    public async Task Get_UnknownRun_Answers404()
    {
        var (status, _) = Read(await _functions.Get(Request("GET"), "nobody", _client, CancellationToken.None));

        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Stop_KnownRun_RaisesTheStopEvent()
    {
        await _functions.Start(Request("POST", "{\"runId\":\"to-stop\"}"), _client, CancellationToken.None);

        IActionResult result = await _functions.Stop(Request("POST"), "to-stop", _client, CancellationToken.None);

        Assert.Equal(202, Assert.IsType<StatusCodeResult>(result).StatusCode);
        Assert.Equal(("to-stop", "stop"), (_client.RaisedEvents.Single().InstanceId, _client.RaisedEvents.Single().EventName));
    }

    [Fact]
    public async Task List_ReturnsSummariesOfKnownRuns()
    {
        await _functions.Start(Request("POST", "{\"runId\":\"listed\"}"), _client, CancellationToken.None);
        HttpRequest request = Request("GET");

        var (status, runs) = Read(await _functions.List(request, _client, CancellationToken.None));

        Assert.Equal(200, status);
        Assert.Equal("listed", runs.EnumerateArray().Single().GetProperty("runId").GetString());
    }
}
