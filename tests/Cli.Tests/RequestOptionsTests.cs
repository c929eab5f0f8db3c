using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Commands;
using DurableTrainer.Domain.Kinds;

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

    /// <summary>Writes <paramref name="json"/> to a temporary file, runs dtrain with it, and deletes it.</summary>
    private static async Task<DtrainRun> WithFileAsync(FakeServer server, string json, Func<string, string[]> arguments)
    {
        string file = Path.Combine(Path.GetTempPath(), $"dtrain-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);
        try
        {
            return await DtrainRun.InvokeAsync(server, arguments(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Start_KebabCaseOptions_BecomeCamelCaseFieldsOfTheirSectionsAndJsonTypes()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address,
            "--epochs", "1", "--model", "mlp", "--dataset", "synthetic", "--learning-rate", "0.01", "--max-steps", "50",
            "--nesterov", "--run-id", "run-x", "--gradient-clip-norm", "1e3");

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        JsonElement training = body.GetProperty("training");
        Assert.Equal(JsonValueKind.Number, training.GetProperty("epochs").ValueKind);
        Assert.Equal(1, training.GetProperty("epochs").GetInt32());
        Assert.Equal(50, training.GetProperty("maxSteps").GetInt64());
        Assert.Equal(1000, training.GetProperty("gradientClipNorm").GetDouble());
        Assert.Equal("mlp", body.GetProperty("model").GetProperty("architecture").GetString());
        Assert.Equal("synthetic", body.GetProperty("data").GetProperty("dataset").GetString());
        Assert.Equal(0.01, body.GetProperty("optimizer").GetProperty("learningRate").GetDouble());
        Assert.True(body.GetProperty("optimizer").GetProperty("nesterov").GetBoolean());
        Assert.Equal("run-x", body.GetProperty("runId").GetString());
        Assert.Equal(new[] { "data", "model", "optimizer", "runId", "training" }, Names(body));
        Assert.Equal(new[] { "epochs", "gradientClipNorm", "maxSteps" }, Names(training));
        Assert.Equal(new Uri(FakeServer.Address + "/api/training"), server.Requests[0].Uri);
        Assert.Contains("Started run run-x.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_OneOption_IsOneFieldOfOneSection()
    {
        var server = Accepting();

        await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--epochs", "1");

        Assert.Equal("""{"training":{"epochs":1}}""", server.Requests.Single(r => r.Method == HttpMethod.Post).Body);
    }

    [Theory]
    [InlineData("--evaluation-interval-steps", "100", "evaluation", "intervalSteps")]
    [InlineData("--checkpoints-interval-steps", "500", "checkpoints", "intervalSteps")]
    [InlineData("--keep-last", "2", "checkpoints", "keepLast")]
    [InlineData("--steps-per-chunk", "50", "execution", "stepsPerChunk")]
    [InlineData("--rounds-per-execution", "7", "execution", "roundsPerExecution")]
    [InlineData("--replicas", "2", "replicas", "count")]
    [InlineData("--merge", "outer-nesterov", "replicas", "merge")]
    [InlineData("--optimizer", "sgd", "optimizer", "name")]
    [InlineData("--schedule", "cosine-with-warmup", "schedule", "name")]
    [InlineData("--min-factor", "0.1", "schedule", "minFactor")]
    [InlineData("--metric", "loss", "evaluation", "metric")]
    [InlineData("--mode", "min", "evaluation", "mode")]
    [InlineData("--target-metric", "0.9", "stopping", "targetMetric")]
    [InlineData("--early-stopping-patience", "3", "stopping", "earlyStoppingPatience")]
    [InlineData("--batch-size", "32", "training", "batchSize")]
    [InlineData("--seed", "7", "training", "seed")]
    public async Task Start_EachOption_SetsItsFieldInItsSection(string option, string value, string section, string field)
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, option, value);

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        Assert.Equal(new[] { section }, Names(body));
        JsonElement written = Assert.Single(body.GetProperty(section).EnumerateObject(), property => property.Name == field).Value;
        Assert.Equal(value, written.ValueKind == JsonValueKind.String ? written.GetString() : written.GetRawText());
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

        Assert.False(PostedBody(server).GetProperty("optimizer").GetProperty("nesterov").GetBoolean());
    }

    [Fact]
    public async Task Start_ModelParams_BecomeModelParametersOfTheirJsonTypes()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address,
            "--model", "mlp", "--model-param", "hiddenUnits=64", "--model-param", "batchNorm=true", "--model-param", "dropout=0.25");

        Assert.Equal(0, run.ExitCode);
        JsonElement model = PostedBody(server).GetProperty("model");
        Assert.Equal("mlp", model.GetProperty("architecture").GetString());
        JsonElement parameters = model.GetProperty("parameters");
        Assert.Equal(64, parameters.GetProperty("hiddenUnits").GetDouble());
        Assert.True(parameters.GetProperty("batchNorm").GetBoolean());
        Assert.Equal(0.25, parameters.GetProperty("dropout").GetDouble());
    }

    [Fact]
    public async Task Start_AModelParamAlone_IsModelParametersOnly()
    {
        var server = Accepting();

        await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--model-param", "hiddenUnits=64");

        JsonElement model = PostedBody(server).GetProperty("model");
        Assert.Equal(new[] { "parameters" }, Names(model));
        Assert.Equal(64, model.GetProperty("parameters").GetProperty("hiddenUnits").GetDouble());
    }

    [Theory]
    [InlineData("hiddenUnits")]
    [InlineData("=64")]
    [InlineData("hiddenUnits=many")]
    public async Task Start_WithAMalformedModelParam_IsAUsageErrorAndSendsNothing(string parameter)
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--model-param", parameter);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(server.Requests);
        Assert.Contains("--model-param", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_TextsToClassify_TakeTheTextRecipe_WithTheOptionsOnTopAndNotTheImageRecipe()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address,
            "--source", "reviews.csv", "--label", "stars", "--text", "review", "--epochs", "4");

        Assert.True(run.ExitCode == 0, run.Error);
        JsonElement body = PostedBody(server);
        Assert.Equal("review", body.GetProperty("data").GetProperty("text").GetString());
        Assert.Equal("adamw", body.GetProperty("optimizer").GetProperty("name").GetString());
        Assert.Equal(0.003, body.GetProperty("optimizer").GetProperty("learningRate").GetDouble());
        Assert.Equal("matrices", body.GetProperty("optimizer").GetProperty("weightDecayOn").GetString());
        Assert.Equal(20, body.GetProperty("schedule").GetProperty("warmupSteps").GetInt32());
        JsonElement training = body.GetProperty("training");
        Assert.Equal((4, 32, 1.0), (training.GetProperty("epochs").GetInt32(), training.GetProperty("batchSize").GetInt32(), training.GetProperty("gradientClipNorm").GetDouble()));
    }

    [Fact]
    public async Task Train_InitFromARun_LeavesTheDefaultModelAndDataOut_SoTheSourceRunsAreUsed()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address,
            "--init-from", "iris-run", "--freeze", "fc1, bn1", "--reinitialize", "fc2", "--max-steps", "400");

        Assert.True(run.ExitCode == 0, run.Error);
        JsonElement body = PostedBody(server);
        Assert.False(body.TryGetProperty("data", out _), body.ToString());
        JsonElement model = body.GetProperty("model");
        Assert.False(model.TryGetProperty("architecture", out _), model.ToString());
        Assert.Equal("iris-run", model.GetProperty("initFrom").GetProperty("run").GetString());
        Assert.Equal(["fc2"], model.GetProperty("initFrom").GetProperty("reinitialize").EnumerateArray().Select(name => name.GetString()!));
        Assert.Equal(["fc1", "bn1"], model.GetProperty("freeze").EnumerateArray().Select(name => name.GetString()!));
        Assert.Equal(400, body.GetProperty("training").GetProperty("maxSteps").GetInt32());
    }

    [Fact]
    public async Task Train_InitFromARun_TakesTheSourceRunsRecipeFieldByField_UnderTheOptionsGiven()
    {
        const string Source = """
            {"name":"Training","instanceId":"iris-run","runtimeStatus":"Completed","createdTime":"2026-11-28T22:00:00Z","lastUpdatedTime":"2026-11-28T22:00:12Z",
             "input":{"runId":"iris-run","specification":{"data":{"source":"iris.csv","label":"species"},"model":{"architecture":"mlp"},
               "optimizer":{"name":"sgd","learningRate":0.05},"schedule":{"name":"constant"},"training":{"epochs":3,"maxSteps":200,"batchSize":16,"seed":7},
               "replicas":{"count":1}}}}
            """;
        var server = new FakeServer(request => request.Method == HttpMethod.Post
            ? FakeServer.Json(HttpStatusCode.Accepted, ManagementJson("run-x"))
            : request.Uri.AbsolutePath.EndsWith("/instances/iris-run", StringComparison.Ordinal)
                ? FakeServer.Json(HttpStatusCode.OK, Source)
                : FakeServer.Json(HttpStatusCode.OK, Statuses.Ended("run-x", "Completed", "PlanCompleted", 400, 0.9)));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--init-from", "iris-run", "--max-steps", "400", "--learning-rate", "0.02");

        Assert.True(run.ExitCode == 0, run.Error);
        JsonElement body = PostedBody(server);
        JsonElement training = body.GetProperty("training");
        Assert.Equal((400L, 16, 7), (training.GetProperty("maxSteps").GetInt64(), training.GetProperty("batchSize").GetInt32(), training.GetProperty("seed").GetInt32()));
        Assert.False(training.TryGetProperty("epochs", out _), "the source's length in epochs would contradict the new total");
        Assert.Equal(("sgd", 0.02), (body.GetProperty("optimizer").GetProperty("name").GetString(), body.GetProperty("optimizer").GetProperty("learningRate").GetDouble()));
        Assert.False(body.TryGetProperty("data", out _), "the server takes the source's data");
    }

    [Fact]
    public async Task Train_InitFromARunWithItsOwnModelAndData_KeepsThem()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address,
            "--init-from", "iris-run", "--model", "mlp", "--dataset", "synthetic");

        Assert.True(run.ExitCode == 0, run.Error);
        JsonElement body = PostedBody(server);
        Assert.Equal("synthetic", body.GetProperty("data").GetProperty("dataset").GetString());
        Assert.Equal("mlp", body.GetProperty("model").GetProperty("architecture").GetString());
    }

    [Theory]
    [InlineData("--reinitialize", "fc2")]
    [InlineData("--init-from-file", "/no/such/weights.pt")]
    public async Task Train_AStartOptionThatCannotApply_IsAUsageErrorAndSendsNothing(string option, string value)
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, option, value);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(option, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Requests, request => request.Method == HttpMethod.Post);
    }

    [Fact]
    public async Task Start_WithAModelConfigOfLayers_SendsThemAsTheModelsLayers()
    {
        var server = Accepting();

        DtrainRun run = await WithFileAsync(server, """[{"type":"flatten"},{"type":"linear","units":32},{"type":"relu"},{"type":"linear","units":10}]""",
            file => ["start", "--server", FakeServer.Address, "--model-config", file, "--epochs", "1"]);

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        JsonElement model = body.GetProperty("model");
        Assert.Equal(new[] { "layers" }, Names(model));
        Assert.Equal(new[] { "flatten", "linear", "relu", "linear" }, model.GetProperty("layers").EnumerateArray().Select(layer => layer.GetProperty("type").GetString()).ToArray());
        Assert.Equal(32, model.GetProperty("layers")[1].GetProperty("units").GetInt32());
        Assert.Equal(1, body.GetProperty("training").GetProperty("epochs").GetInt32());
    }

    [Fact]
    public async Task Train_WithAModelConfigSection_ReplacesTheDefaultRunsModel()
    {
        var server = Accepting();

        DtrainRun run = await WithFileAsync(server, """{"architecture":"resnet","parameters":{"width":16}}""",
            file => ["train", "--server", FakeServer.Address, "--model-config", file]);

        Assert.Equal(0, run.ExitCode);
        JsonElement model = PostedBody(server).GetProperty("model");
        Assert.Equal(new[] { "architecture", "parameters" }, Names(model));
        Assert.Equal("resnet", model.GetProperty("architecture").GetString());
        Assert.Equal(16, model.GetProperty("parameters").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Train_WithAModelConfigOfLayers_DropsTheDefaultRunsArchitecture()
    {
        var server = Accepting();

        await WithFileAsync(server, """{"layers":[{"type":"flatten"},{"type":"linear","units":10}]}""",
            file => ["train", "--server", FakeServer.Address, "--model-config", file]);

        JsonElement model = PostedBody(server).GetProperty("model");
        Assert.Equal(new[] { "layers" }, Names(model));
        Assert.Equal(2, model.GetProperty("layers").GetArrayLength());
    }

    private static readonly string Sha256 = new('a', 64);

    [Fact]
    public async Task Train_WithAModelFile_UploadsItThenPinsItsHashInTheDefaultRunsPlace_KeepingOtherModelOptions()
    {
        var server = new FakeServer(request => request.Method == HttpMethod.Put
            ? FakeServer.Json(HttpStatusCode.Created, $$"""{"name":"net.pt","sha256":"{{Sha256}}","bytes":3}""")
            : request.Method == HttpMethod.Post
                ? FakeServer.Json(HttpStatusCode.Accepted, ManagementJson("run-x"))
                : FakeServer.Json(HttpStatusCode.OK, Statuses.Ended("run-x", "Completed", "PlanCompleted", 40, 0.9)));
        string folder = Directory.CreateTempSubdirectory("dtrain-model-file-").FullName;
        string file = Path.Combine(folder, "net.pt");
        await File.WriteAllBytesAsync(file, [1, 2, 3]);
        try
        {
            DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--model-file", file, "--model-param", "hiddenUnits=8");

            Assert.Equal(0, run.ExitCode);
            SeenRequest upload = server.Requests.Single(r => r.Method == HttpMethod.Put);
            Assert.Equal("/api/models/net.pt", upload.Uri.AbsolutePath);
            JsonElement model = PostedBody(server).GetProperty("model");
            // The server, not the client, says that parameters do not go with a file: nothing is dropped on the way.
            Assert.Equal(new[] { "file", "parameters", "sha256" }, Names(model));
            Assert.Equal(Sha256, model.GetProperty("sha256").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Train_WithADataFile_UploadsItAndATestFileUnderTheirDigest_ReplacingTheBuiltInDatasetAndTheDefaultModel()
    {
        var server = new FakeServer(request => request.Method == HttpMethod.Put
            ? FakeServer.Json(HttpStatusCode.Created, $$"""{"container":"datasets","path":"{{request.Uri.AbsolutePath["/api/datasets/".Length..]}}","bytes":12}""")
            : request.Method == HttpMethod.Post
                ? FakeServer.Json(HttpStatusCode.Accepted, ManagementJson("run-x"))
                : FakeServer.Json(HttpStatusCode.OK, Statuses.Ended("run-x", "Completed", "PlanCompleted", 40, 0.9)));
        string folder = Directory.CreateTempSubdirectory("dtrain-data-file-").FullName;
        string train = Path.Combine(folder, "train.csv");
        string test = Path.Combine(folder, "test.csv");
        await File.WriteAllTextAsync(train, "a,label\n1,x\n");
        await File.WriteAllTextAsync(test, "a,label\n2,y\n");
        try
        {
            DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--data-file", train, "--test-file", test,
                "--label", "label", "--task", "binary", "--categorical", "a, b");

            Assert.True(run.ExitCode == 0, run.Error);
            string[] uploads = server.Requests.Where(r => r.Method == HttpMethod.Put).Select(r => r.Uri.AbsolutePath).ToArray();
            Assert.Equal(2, uploads.Length);
            Assert.Matches("^/api/datasets/uploads/[0-9a-f]{16}/train.csv$", uploads[0]);
            Assert.Matches("^/api/datasets/uploads/[0-9a-f]{16}/test.csv$", uploads[1]);
            JsonElement body = PostedBody(server);
            JsonElement data = body.GetProperty("data");
            Assert.Equal(new[] { "categorical", "label", "source", "task", "test" }, Names(data));
            Assert.Equal(uploads[0]["/api/datasets/".Length..], data.GetProperty("source").GetString());
            Assert.Equal(new[] { "a", "b" }, data.GetProperty("categorical").EnumerateArray().Select(item => item.GetString()));
            // The default run's CNN is for images: without a model of their own the server picks one for the data's shape.
            Assert.False(body.TryGetProperty("model", out _));
            Assert.Contains(run.OutLines, line => line.StartsWith("Uploaded train.csv (1 file, 12 bytes) to datasets/uploads/", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Train_WithImageFolders_UploadsTheTestAndValidationFoldersAsFoldersToo()
    {
        var server = new FakeServer(request => request.Method == HttpMethod.Put
            ? FakeServer.Json(HttpStatusCode.Created, $$"""{"container":"datasets","path":"{{request.Uri.AbsolutePath["/api/datasets/".Length..]}}","bytes":3}""")
            : request.Method == HttpMethod.Post
                ? FakeServer.Json(HttpStatusCode.Accepted, ManagementJson("run-x"))
                : FakeServer.Json(HttpStatusCode.OK, Statuses.Ended("run-x", "Completed", "PlanCompleted", 40, 0.9)));
        string root = Directory.CreateTempSubdirectory("dtrain-image-folders-").FullName;
        string[] splits = ["train", "test", "val"];
        for (int s = 0; s < splits.Length; s++)
        {
            foreach (string label in new[] { "cat", "dog" })
            {
                Directory.CreateDirectory(Path.Combine(root, splits[s], label));
                await File.WriteAllBytesAsync(Path.Combine(root, splits[s], label, "1.png"), [1, 2, (byte)s]);
            }
        }

        try
        {
            DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address,
                "--data-dir", Path.Combine(root, "train"), "--test-file", Path.Combine(root, "test"), "--validation-file", Path.Combine(root, "val"));

            Assert.True(run.ExitCode == 0, run.Error);
            string[] uploads = server.Requests.Where(r => r.Method == HttpMethod.Put).Select(r => r.Uri.AbsolutePath).ToArray();
            Assert.Equal(6, uploads.Length);
            JsonElement data = PostedBody(server).GetProperty("data");
            foreach (string field in new[] { "source", "test", "validation" })
            {
                Assert.Matches("^uploads/[0-9a-f]{16}/$", data.GetProperty(field).GetString());
            }

            Assert.Equal(3, new[] { "source", "test", "validation" }.Select(field => data.GetProperty(field).GetString()).Distinct().Count());
            Assert.Contains(uploads, path => path.EndsWith("/cat/1.png", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Train_WithAMissingDataFile_OrATestFileAlone_IsAUsageErrorAndSendsNothing()
    {
        var server = Accepting();

        DtrainRun missing = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--data-file", "/no/such/train.csv", "--label", "y");
        DtrainRun alone = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--test-file", "/no/such/test.csv");
        DtrainRun both = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--data-file", "/no/train.csv", "--dataset", "synthetic");

        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("--data-file '/no/such/train.csv' does not exist", missing.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, alone.ExitCode);
        Assert.Contains("--test-file and --validation-file go with --data-file or --data-dir", alone.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("{not json")]
    public async Task Start_WithAModelConfigThatIsNotAModel_IsAUsageErrorAndSendsNothing(string json)
    {
        var server = Accepting();

        DtrainRun run = await WithFileAsync(server, json, file => ["start", "--server", FakeServer.Address, "--model-config", file]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(server.Requests);
        Assert.StartsWith("The config file '", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAConfigFile_TakesItsSectionsAndOptionsOverrideThem()
    {
        var server = Accepting();

        await WithFileAsync(server, """{"training":{"epochs":5,"batchSize":32},"model":{"architecture":"cnn","parameters":{"convChannels":16}},"optimizer":{"name":"sgd"}}""",
            file => ["start", "--server", FakeServer.Address, "--config", file, "--model", "mlp", "--batch-size", "16"]);

        JsonElement body = PostedBody(server);
        Assert.Equal(5, body.GetProperty("training").GetProperty("epochs").GetInt32());
        Assert.Equal(16, body.GetProperty("training").GetProperty("batchSize").GetInt32());
        Assert.Equal("sgd", body.GetProperty("optimizer").GetProperty("name").GetString());
        // Another architecture: the file's parameters (of the CNN) are dropped.
        Assert.Equal(new[] { "architecture" }, Names(body.GetProperty("model")));
        Assert.Equal("mlp", body.GetProperty("model").GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task Start_ChoosingTheSameArchitecture_KeepsItsParameters()
    {
        var server = Accepting();

        await WithFileAsync(server, """{"model":{"architecture":"cnn","parameters":{"convChannels":16}}}""",
            file => ["start", "--server", FakeServer.Address, "--config", file, "--model", "cnn"]);

        JsonElement model = PostedBody(server).GetProperty("model");
        Assert.Equal("cnn", model.GetProperty("architecture").GetString());
        Assert.Equal(16, model.GetProperty("parameters").GetProperty("convChannels").GetInt32());
    }

    [Fact]
    public async Task Train_WithASectionedConfigFile_MergesItSectionBySectionIntoTheDefaultRun()
    {
        var server = Accepting();

        DtrainRun run = await WithFileAsync(server, """{"training":{"epochs":5},"optimizer":{"learningRate":0.01},"stopping":{"targetMetric":0.9}}""",
            file => ["train", "--server", FakeServer.Address, "--config", file]);

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        JsonElement training = body.GetProperty("training");
        Assert.Equal(5, training.GetProperty("epochs").GetInt32());
        Assert.Equal(64, training.GetProperty("batchSize").GetInt32());
        Assert.Equal(42, training.GetProperty("seed").GetInt32());
        Assert.Equal("adam", body.GetProperty("optimizer").GetProperty("name").GetString());
        Assert.Equal(0.01, body.GetProperty("optimizer").GetProperty("learningRate").GetDouble());
        Assert.Equal(0.9, body.GetProperty("stopping").GetProperty("targetMetric").GetDouble());
        Assert.Equal("fashion-mnist", body.GetProperty("data").GetProperty("dataset").GetString());
        Assert.Equal("cnn", body.GetProperty("model").GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task Train_WithAServer_SubmitsTheEmbeddedDefaultRunWithOverridesAndReportsTheEnd()
    {
        var server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--epochs", "1", "--model", "mlp");

        Assert.Equal(0, run.ExitCode);
        JsonElement body = PostedBody(server);
        Assert.Equal("fashion-mnist", body.GetProperty("data").GetProperty("dataset").GetString());
        Assert.Equal(844, body.GetProperty("evaluation").GetProperty("intervalSteps").GetInt32());
        Assert.Equal(1, body.GetProperty("training").GetProperty("epochs").GetInt32());
        Assert.Equal(64, body.GetProperty("training").GetProperty("batchSize").GetInt32());
        Assert.Equal(844, body.GetProperty("execution").GetProperty("stepsPerChunk").GetInt32());
        // The default run's model was the CNN: choosing the MLP leaves none of its settings behind.
        Assert.Equal(new[] { "architecture" }, Names(body.GetProperty("model")));
        Assert.Equal("mlp", body.GetProperty("model").GetProperty("architecture").GetString());
        Assert.Contains("Run run-x: Completed (PlanCompleted) in ", run.Out, StringComparison.Ordinal);
        Assert.Contains("Test: accuracy 0.8900, loss 0.3300 (final checkpoint, 40 steps).", run.Out, StringComparison.Ordinal);
        Assert.Contains("Validation: accuracy 0.9000, loss 0.3100 at step 40.", run.Out, StringComparison.Ordinal);
        Assert.Contains("Final checkpoint: run-x/round-000004/replica-00", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_DefaultRun_IsASectionedRequestTheServerReads()
    {
        var server = Accepting();

        await DtrainRun.InvokeAsync(server, "train", "--server", FakeServer.Address, "--model-param", "convChannels=16");

        var (request, errors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(server.Requests.Single(r => r.Method == HttpMethod.Post).Body));
        Assert.Empty(errors);
        Assert.Equal("cnn", request!.Model!.Architecture);
        Assert.Equal(16, request.Model.Parameters!["convChannels"]);
        Assert.Equal(DatasetKind.FashionMnist, request.Data!.Dataset);
        Assert.Equal(OptimizerKind.Adam, request.Optimizer!.Name);
        Assert.Equal(2, request.Training!.Epochs);
        Assert.Equal(LearningRateSchedule.CosineWithWarmup, request.Schedule!.Name);
        Assert.Equal(844, request.Evaluation!.IntervalSteps);
    }

    [Fact]
    public void EveryFieldOfEverySection_HasAKebabCaseOption()
    {
        var options = new TrainingRequestOptions();
        string[] names = options.All.Select(option => option.Name).ToArray();

        foreach (PropertyInfo property in typeof(TrainingRequest).GetProperties())
        {
            string section = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (property.PropertyType == typeof(string))
            {
                Assert.Equal("--" + JsonNamingPolicy.KebabCaseLower.ConvertName(property.Name), options.OptionFor(section)?.Name);
                continue;
            }

            foreach (var (field, type) in TrainingRequestReader.FieldsOf(property.PropertyType))
            {
                // The upload behind --model-file pins the file's hash, and the server pins the data's: no option sets them by hand.
                if ((type == typeof(string) || type.IsValueType) && $"{section}.{field}" is not "model.sha256" and not "data.sha256")
                {
                    Assert.True(options.OptionFor($"{section}.{field}") is not null, $"{section}.{field} has no option");
                }
            }
        }

        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("--epochs", options.OptionFor("training.epochs")?.Name);
        Assert.Equal("--learning-rate", options.OptionFor("optimizer.learningRate")?.Name);
        Assert.Equal("--evaluation-interval-steps", options.OptionFor("evaluation.intervalSteps")?.Name);
        Assert.Equal("--checkpoints-interval-steps", options.OptionFor("checkpoints.intervalSteps")?.Name);
        Assert.Equal("--model", options.OptionFor("model.architecture")?.Name);
        Assert.Equal("--model-file", options.OptionFor("model.file")?.Name);
        Assert.Null(options.OptionFor("model.sha256"));
        Assert.Equal("--optimizer", options.OptionFor("optimizer.name")?.Name);
        Assert.Equal("--schedule", options.OptionFor("schedule.name")?.Name);
        Assert.Equal("--replicas", options.OptionFor("replicas.count")?.Name);
        Assert.Equal("--dataset", options.OptionFor("data.dataset")?.Name);
        Assert.Equal("--steps-per-chunk", options.OptionFor("execution.stepsPerChunk")?.Name);
        Assert.Contains("--config", names);
        Assert.Contains("--model-config", names);
        Assert.Contains("--model-param", names);
    }

    [Theory]
    [InlineData("--epochs", "three")]
    [InlineData("--learning-rate", "fast")]
    [InlineData("--evaluation-interval-steps", "often")]
    [InlineData("--interval-steps", "100")]
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
