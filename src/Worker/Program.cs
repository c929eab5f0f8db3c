using Azure.Storage.Blobs;
using DurableTrainer.Api;
using DurableTrainer.Application;
using DurableTrainer.Application.Predictions;
using DurableTrainer.Durable.Hosting;
using DurableTrainer.Infrastructure.Storage;
using DurableTrainer.Infrastructure.TorchSharp;
using DurableTrainer.Worker.Engine;
using DurableTrainer.Worker.Http;

// The self-hosted worker: durable engine + activities + HTTP API in one process, listening on loopback by default.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:7071");
}

var engineOptions = builder.Configuration.GetSection(DurableEngineOptions.SectionName).Get<DurableEngineOptions>() ?? new();
var executorOptions = builder.Configuration.GetSection(TorchSharpExecutorOptions.SectionName).Get<TorchSharpExecutorOptions>() ?? new();
executorOptions.ConcurrentActivities = engineOptions.MaxConcurrentActivities;
string connectionString = engineOptions.ResolveConnectionString(builder.Configuration["AzureWebJobsStorage"]);
if (StorageEndpoints.Problem(connectionString) is { } connectionProblem)
{
    // Nothing can work without storage, and no retry will fix the setting: one sentence, and a clean exit.
    Console.Error.WriteLine(
        $"The storage connection string in {StorageStartupFailure.Setting} (or AzureWebJobsStorage) is not valid ({connectionProblem}); set it to an Azure Storage connection string, such as UseDevelopmentStorage=true for Azurite.");
    return 2;
}

builder.Services
    .AddSingleton(builder.Configuration.GetSection(PredictionJobSettings.SectionName).Get<PredictionJobSettings>() ?? new())
    .AddApplication()
    .AddTorchSharpTraining(executorOptions)
    .AddBlobStorage(
        provider => new BlobServiceClient(connectionString, provider.GetRequiredService<StorageClients>().Blob()).GetBlobContainerClient(engineOptions.CheckpointContainer),
        _ => builder.Configuration["DurableTask:MetricsContainer"],
        _ => builder.Configuration["DurableTask:ModelsContainer"])
    .AddSelfHostedEngine(engineOptions, connectionString)
    .AddTrainingApi()
    .AddTrainingTelemetry(builder.Configuration, "durabletrainer-worker");

// An exception no handler expected still answers as problem details, with the trace id that finds it in the log.
builder.Services.AddProblemDetails();

// Scopes carry the run id onto every log line an executor operation writes; UTC timestamps to the millisecond show
// where a run's time goes between activities.
builder.Logging.AddSimpleConsole(console =>
{
    console.IncludeScopes = true;
    console.TimestampFormat = "HH:mm:ss.fff ";
    console.UseUtcTimestamp = true;
});

WebApplication app = builder.Build();
app.UseExceptionHandler();
string? apiKey = builder.Configuration["Security:ApiKey"];
if (!string.IsNullOrEmpty(apiKey))
{
    app.UseMiddleware<ApiKeyMiddleware>(apiKey);
}

app.UseMiddleware<EngineReadinessMiddleware>();
app.MapTrainingApi();
app.Run();
return Environment.ExitCode;
