using System.Text.Json;

namespace DurableTrainer.Functions.Tests;

/// <summary>What the Functions host reads from the build output, checked without the host.</summary>
public class BuildOutputTests
{
    private static readonly string Output = TestSupport.RepositoryPaths.SourceOutput("Functions");

    [Fact]
    public void Output_HasHostJsonWorkerConfigAndExtensions()
    {
        Assert.True(File.Exists(Path.Combine(Output, "host.json")));
        Assert.True(File.Exists(Path.Combine(Output, "worker.config.json")));
        Assert.True(File.Exists(Path.Combine(Output, "extensions.json")));
    }

    [Theory]
    [InlineData("Training", "orchestrationTrigger")]
    [InlineData("InitializeTraining", "activityTrigger")]
    [InlineData("RunChunk", "activityTrigger")]
    [InlineData("MergeReplicas", "activityTrigger")]
    [InlineData("EvaluateCheckpoint", "activityTrigger")]
    [InlineData("PruneCheckpoints", "activityTrigger")]
    [InlineData("RecordMetrics", "activityTrigger")]
    [InlineData("GetTrainingMetrics", "httpTrigger")]
    [InlineData("GetTrainingCheckpoint", "httpTrigger")]
    [InlineData("TrainingDashboard", "httpTrigger")]
    [InlineData("StartTraining", "httpTrigger")]
    [InlineData("ListTrainingRuns", "httpTrigger")]
    [InlineData("GetTrainingRun", "httpTrigger")]
    [InlineData("StopTrainingRun", "httpTrigger")]
    [InlineData("ExportTrainingModel", "httpTrigger")]
    [InlineData("ExportTrainingModelSpec", "httpTrigger")]
    [InlineData("UploadModelFile", "httpTrigger")]
    [InlineData("UploadDatasetFile", "httpTrigger")]
    [InlineData("Sweep", "orchestrationTrigger")]
    [InlineData("StartTrial", "activityTrigger")]
    [InlineData("RecordSweep", "activityTrigger")]
    [InlineData("StartSweep", "httpTrigger")]
    [InlineData("ListSweeps", "httpTrigger")]
    [InlineData("GetSweep", "httpTrigger")]
    [InlineData("GetSweepBest", "httpTrigger")]
    [InlineData("StopSweep", "httpTrigger")]
    [InlineData("Prediction", "orchestrationTrigger")]
    [InlineData("PredictPart", "activityTrigger")]
    [InlineData("SummarizePredictions", "activityTrigger")]
    [InlineData("WritePredictionManifest", "activityTrigger")]
    [InlineData("PredictWithRun", "httpTrigger")]
    [InlineData("StartPrediction", "httpTrigger")]
    [InlineData("ListPredictions", "httpTrigger")]
    [InlineData("GetPrediction", "httpTrigger")]
    [InlineData("StopPrediction", "httpTrigger")]
    [InlineData("GetPredictionPart", "httpTrigger")]
    public void FunctionsMetadata_ListsTheFunctionWithItsTrigger(string name, string trigger)
    {
        JsonElement function = Functions().Single(f => f.GetProperty("name").GetString() == name);

        JsonElement[] bindings = function.GetProperty("bindings").EnumerateArray().ToArray();
        Assert.Contains(bindings, b => b.GetProperty("type").GetString() == trigger && b.GetProperty("direction").GetString() == "In");
        if (trigger == "httpTrigger")
        {
            JsonElement http = bindings.Single(b => b.GetProperty("type").GetString() == "httpTrigger");
            Assert.Equal("Function", http.GetProperty("authLevel").GetString());
            // The dashboard page is static and a model upload touches only blob storage: they need no durable client.
            Assert.Equal(name is not "TrainingDashboard" and not "UploadModelFile" and not "UploadDatasetFile", bindings.Any(b => b.GetProperty("type").GetString() == "durableClient"));
        }
    }

    [Fact]
    public void FunctionsMetadata_HasOneFunctionPerRouteAndDurableTask()
    {
        int expected = Api.ApiRoutes.All.Count(route => !route.WorkerOnly) + Durable.DurableTasks.All.Count;

        Assert.Equal(expected, Functions().Length);
    }

    [Fact]
    public void HostJson_KeepsTheDurableSettingsUnderExtensionsWhereTheHostLooks()
    {
        using JsonDocument host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "host.json")));
        JsonElement durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");

        Assert.Equal("2.0", host.RootElement.GetProperty("version").GetString());
        Assert.Equal("%TaskHubName%", durable.GetProperty("hubName").GetString());
        Assert.Equal("AzureStorage", durable.GetProperty("storageProvider").GetProperty("type").GetString());
        Assert.Equal(1, durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
        Assert.False(host.RootElement.GetProperty("logging").TryGetProperty("extensions", out _));
    }

    [Fact]
    public void Output_CarriesTheLoadableTorchSharpNative()
    {
        string library = Path.Combine(Output, "libLibTorchSharp.so");
        var startInfo = new System.Diagnostics.ProcessStartInfo("readelf", ["-V", library]) { RedirectStandardOutput = true };
        using var readelf = System.Diagnostics.Process.Start(startInfo)!;
        string versions = readelf.StandardOutput.ReadToEnd();
        readelf.WaitForExit();

        Assert.Contains("Name: GLIBCXX_3.4.32  Flags: WEAK", versions, StringComparison.Ordinal);
    }

    private static JsonElement[] Functions() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "functions.metadata"))).RootElement.EnumerateArray().ToArray();
}
