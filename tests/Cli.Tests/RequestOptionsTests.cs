using System.Net;
using System.Reflection;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Tests;

/// <summary>Training options on the command line (and --config) become the request body the server receives.</summary>
public sealed class RequestOptionsTests
{
    private static FakeServer Accepting() => new(request => request.Method == HttpMethod.Post
        ? FakeServer.Json(HttpStatusCode.Accepted, ManagementJson("run-x"))
        : FakeServer.Json(HttpStatusCode.OK, Statuses.Ended("run-x", "Completed", "PlanCompleted", 40, 0.9)));

    internal static string ManagementJson(string id)
    {
        string instance = $"{FakeServer.Address}/runtime/webhooks/durabletask/instances/{id}";
        return JsonSerializer.Serialize(new
        {
            id,
            statusQueryGetUri = $"{instance}?taskHub=hub",
            sendEventPostUri = $"{instance}/raiseEvent/{{eventName}}?taskHub=hub",
            terminatePostUri = $"{instance}/terminate?reason={{text}}&taskHub=hub",
            purgeHistoryDeleteUri = $"{instance}?taskHub=hub",
            suspendPostUri = $"{instance}/suspend?reason={{text}}&taskHub=hub",
            resumePostUri = $"{instance}/resume?reason={{text}}&taskHub=hub",
        });
    }

    private static JsonElement PostedBody(FakeServer server) =>
        JsonDocument.Parse(server.Requests.Single(r => r.Method == HttpMethod.Post).Body).RootElement;

    [Fact]
    public async Task Start_KebabCaseOptions_BecomeCamelCaseFieldsOfTheirJsonTypes()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address,
            "--epochs", "1", "--model", "mlp", "--dataset", "synthetic", "--learning-rate", "0.01", "--max-steps", "50",
            "--nesterov", "--run-id", "run-x", "--gradient-clip-norm", "1e3");

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        Assert.Equal(JsonValueKind.Number, body.GetProperty("epochs").ValueKind);
        Assert.Equal(1, body.GetProperty("epochs").GetInt32());
        Assert.Equal("mlp", body.GetProperty("model").GetString());
        Assert.Equal("synthetic", body.GetProperty("dataset").GetString());
        Assert.Equal(0.01, body.GetProperty("learningRate").GetDouble());
        Assert.Equal(50, body.GetProperty("maxSteps").GetInt64());
        Assert.True(body.GetProperty("nesterov").GetBoolean());
        Assert.Equal("run-x", body.GetProperty("runId").GetString());
        Assert.Equal(1000, body.GetProperty("gradientClipNorm").GetDouble());
        Assert.Equal(8, body.EnumerateObject().Count());
        Assert.Equal(new Uri(FakeServer.Address + "/api/training"), server.Requests[0].Uri);
        Assert.Contains("Started run run-x.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutFields_SendsAnEmptyObjectSoTheServerDefaultsApply()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("{}", server.Requests.Single().Body);
    }

    [Fact]
    public async Task Start_BooleanOptionWithAnExplicitFalse_SendsFalse()
    {
        var server = Accepting();

        await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--nesterov", "false");

        Assert.False(PostedBody(server).GetProperty("nesterov").GetBoolean());
    }

    [Fact]
    public async Task Start_WithAConfigFile_TakesItsFieldsAndOptionsOverrideThem()
    {
        string config = Path.Combine(Path.GetTempPath(), $"dtrain-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """{"epochs": 5, "model": "cnn", "batchSize": 32}""");
        var server = Accepting();
        try
        {
            await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--config", config, "--model", "mlp");
        }
        finally
        {
            File.Delete(config);
        }

        JsonElement body = PostedBody(server);
        Assert.Equal(5, body.GetProperty("epochs").GetInt32());
        Assert.Equal(32, body.GetProperty("batchSize").GetInt32());
        Assert.Equal("mlp", body.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Train_WithAServer_SubmitsTheEmbeddedDefaultRunWithOverridesAndReportsTheEnd()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--epochs", "1", "--model", "mlp");

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        Assert.Equal("fashion-mnist", body.GetProperty("dataset").GetString());
        Assert.Equal(938, body.GetProperty("evaluationIntervalSteps").GetInt32());
        Assert.Equal(1, body.GetProperty("epochs").GetInt32());
        Assert.Equal("mlp", body.GetProperty("model").GetString());
        Assert.Contains("Run run-x: Completed (PlanCompleted) in ", run.Out, StringComparison.Ordinal);
        Assert.Contains("Final test accuracy: 0.9000 (test loss 0.3100) after 40 steps.", run.Out, StringComparison.Ordinal);
        Assert.Contains("Final checkpoint: run-x/round-000004/replica-00", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryTrainingRequestField_HasAKebabCaseOption()
    {
        var options = new TrainingRequestOptions();
        string[] names = options.All.Select(option => option.Name).ToArray();

        foreach (PropertyInfo property in typeof(TrainingRequest).GetProperties())
        {
            string kebab = "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(property.Name);
            Assert.Contains(kebab, names);
        }

        Assert.Contains("--config", names);
    }

    [Theory]
    [InlineData("--epochs", "three")]
    [InlineData("--learning-rate", "fast")]
    [InlineData("--no-such-field", "1")]
    public async Task Start_WithAMalformedOption_IsAUsageErrorAndSendsNothing(string option, string value)
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, option, value);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(server.Requests);
        Assert.Contains("dtrain --help", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAMissingConfigFile_SaysSoAndSendsNothing()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--config", "/nonexistent/run.json");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("The config file '/nonexistent/run.json' does not exist.", run.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Help_ListsTheExitCodes()
    {
        DtrainRun run = await DtrainRun.InvokeAsync(null, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Exit codes:", run.Out, StringComparison.Ordinal);
        Assert.Contains("7    the server refused the key", run.Out, StringComparison.Ordinal);
        Assert.Contains("DTRAIN_SERVER", run.Out, StringComparison.Ordinal);
    }
}
