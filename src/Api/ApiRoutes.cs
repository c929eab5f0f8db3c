namespace DurableTrainer.Api;

/// <summary>
/// One HTTP route: <see cref="Name"/> is the Functions app's function name, <see cref="Template"/> the route under
/// the Functions host's <c>api/</c> prefix. The self-hosted worker serves it at <see cref="WorkerPath"/>.
/// </summary>
public sealed record ApiRoute(string Name, string Method, string Template)
{
    /// <summary>Where the worker serves the route when not under <c>/api/</c> (the dashboard, the management routes).</summary>
    public string? WorkerTemplate { get; init; }

    /// <summary>True for routes the Functions app gets from the Durable extension or does not need (management, health).</summary>
    public bool WorkerOnly { get; init; }

    /// <summary>Whether the Functions trigger binds a durable client (static pages and uploads to blob storage do not).</summary>
    public bool UsesDurableClient { get; init; } = true;

    public string WorkerPath => WorkerTemplate ?? "/api/" + Template;
}

/// <summary>
/// Every HTTP route of the API, in one table: the self-hosted worker maps it, and a test holds the Functions app's
/// hand-written HTTP triggers to it one for one.
/// </summary>
public static class ApiRoutes
{
    private const string Instance = "runtime/webhooks/durabletask/instances/{instanceId}";

    public static readonly ApiRoute StartTraining = new("StartTraining", "POST", "training");
    public static readonly ApiRoute ListTrainingRuns = new("ListTrainingRuns", "GET", "training");
    public static readonly ApiRoute GetTrainingRun = new("GetTrainingRun", "GET", "training/{runId}");
    public static readonly ApiRoute StopTrainingRun = new("StopTrainingRun", "POST", "training/{runId}/stop");
    public static readonly ApiRoute ExportTrainingModel = new("ExportTrainingModel", "GET", "training/{runId}/model");
    public static readonly ApiRoute ExportTrainingModelSpec = new("ExportTrainingModelSpec", "GET", "training/{runId}/model/spec");
    public static readonly ApiRoute GetTrainingMetrics = new("GetTrainingMetrics", "GET", "training/{runId}/metrics");
    public static readonly ApiRoute GetTrainingCheckpoint = new("GetTrainingCheckpoint", "GET", "training/{runId}/checkpoints/{*name}");
    public static readonly ApiRoute PredictWithRun = new("PredictWithRun", "POST", "training/{runId}/predict");
    public static readonly ApiRoute GenerateWithRun = new("GenerateWithRun", "POST", "training/{runId}/generate");
    public static readonly ApiRoute StartPrediction = new("StartPrediction", "POST", "predictions");
    public static readonly ApiRoute ListPredictions = new("ListPredictions", "GET", "predictions");
    public static readonly ApiRoute GetPrediction = new("GetPrediction", "GET", "predictions/{predictionId}");
    public static readonly ApiRoute StopPrediction = new("StopPrediction", "POST", "predictions/{predictionId}/stop");
    public static readonly ApiRoute GetPredictionPart = new("GetPredictionPart", "GET", "predictions/{predictionId}/parts/{index}");
    public static readonly ApiRoute UploadModelFile = new("UploadModelFile", "PUT", "models/{name}") { UsesDurableClient = false };
    public static readonly ApiRoute UploadDatasetFile = new("UploadDatasetFile", "PUT", "datasets/{*path}") { UsesDurableClient = false };
    public static readonly ApiRoute StartSweep = new("StartSweep", "POST", "sweeps");
    public static readonly ApiRoute ListSweeps = new("ListSweeps", "GET", "sweeps");
    public static readonly ApiRoute GetSweep = new("GetSweep", "GET", "sweeps/{sweepId}");
    public static readonly ApiRoute GetSweepBest = new("GetSweepBest", "GET", "sweeps/{sweepId}/best");
    public static readonly ApiRoute StopSweep = new("StopSweep", "POST", "sweeps/{sweepId}/stop");
    public static readonly ApiRoute TrainingDashboard = new("TrainingDashboard", "GET", "dashboard/{runId?}") { WorkerTemplate = "/dashboard/{runId?}", UsesDurableClient = false };
    public static readonly ApiRoute SweepDashboard = new("SweepDashboard", "GET", "dashboard/sweeps/{sweepId}") { WorkerTemplate = "/dashboard/sweeps/{sweepId}", UsesDurableClient = false };
    public static readonly ApiRoute PredictionDashboard = new("PredictionDashboard", "GET", "dashboard/predictions/{predictionId}") { WorkerTemplate = "/dashboard/predictions/{predictionId}", UsesDurableClient = false };

    public static readonly ApiRoute Health = new("Health", "GET", "health") { WorkerOnly = true };
    public static readonly ApiRoute GetInstanceStatus = WorkerOnlyRoute("GetInstanceStatus", "GET", Instance);
    public static readonly ApiRoute PurgeInstance = WorkerOnlyRoute("PurgeInstance", "DELETE", Instance);
    public static readonly ApiRoute RaiseInstanceEvent = WorkerOnlyRoute("RaiseInstanceEvent", "POST", Instance + "/raiseEvent/{eventName}");
    public static readonly ApiRoute TerminateInstance = WorkerOnlyRoute("TerminateInstance", "POST", Instance + "/terminate");
    public static readonly ApiRoute SuspendInstance = WorkerOnlyRoute("SuspendInstance", "POST", Instance + "/suspend");
    public static readonly ApiRoute ResumeInstance = WorkerOnlyRoute("ResumeInstance", "POST", Instance + "/resume");

    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        StartTraining, ListTrainingRuns, GetTrainingRun, StopTrainingRun, ExportTrainingModel, ExportTrainingModelSpec,
        GetTrainingMetrics, GetTrainingCheckpoint, UploadModelFile, UploadDatasetFile,
        PredictWithRun, GenerateWithRun, StartPrediction, ListPredictions, GetPrediction, StopPrediction, GetPredictionPart,
        StartSweep, ListSweeps, GetSweep, GetSweepBest, StopSweep, TrainingDashboard, SweepDashboard, PredictionDashboard,
        Health, GetInstanceStatus, PurgeInstance, RaiseInstanceEvent, TerminateInstance, SuspendInstance, ResumeInstance,
    ];

    // The Durable extension serves these in a Functions app; the worker serves them itself, at the same paths.
    private static ApiRoute WorkerOnlyRoute(string name, string method, string template) =>
        new(name, method, template) { WorkerTemplate = "/" + template, WorkerOnly = true };
}
