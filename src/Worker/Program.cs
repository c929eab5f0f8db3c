using Azure.Storage.Blobs;
using DurableTrainer.Api;
using DurableTrainer.Application.Ports;
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

builder.Services.AddSingleton(engineOptions);
builder.Services.AddTorchSharpTraining(executorOptions);
builder.Services.AddBlobStorage(
    _ => new BlobServiceClient(connectionString).GetBlobContainerClient(engineOptions.CheckpointContainer),
    _ => builder.Configuration["DurableTask:MetricsContainer"]);
builder.Services.AddSingleton(services => new DurableEngine(
    engineOptions,
    connectionString,
    services.GetRequiredService<ITrainingExecutor>(),
    services.GetRequiredService<ICheckpointPruner>(),
    services.GetRequiredService<ITrainingJournal>(),
    services.GetRequiredService<ILoggerFactory>()));
builder.Services.AddHostedService(services => services.GetRequiredService<DurableEngine>());
builder.Services.AddSingleton<ITrainingRunScheduler, TaskHubRunScheduler>();
builder.Services.AddSingleton<ITrainingRunClient, TaskHubRunClient>();
builder.Services.AddTrainingApi();
builder.Services.AddTrainingTelemetry(builder.Configuration, "durabletrainer-worker");
// Scopes carry the run id onto every log line an executor operation writes.
builder.Logging.AddSimpleConsole(console => console.IncludeScopes = true);

WebApplication app = builder.Build();
string? apiKey = builder.Configuration["Security:ApiKey"];
if (!string.IsNullOrEmpty(apiKey))
{
    app.UseMiddleware<ApiKeyMiddleware>(apiKey);
}

app.MapGet("/api/health", () => Results.Ok(new { status = "ok" }));
app.MapTrainingApi();
app.Run();
