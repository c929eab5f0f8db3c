using Azure.Core.Serialization;
using DurableTrainer.Api;
using DurableTrainer.Application;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Predictions;
using DurableTrainer.Durable.Hosting;
using DurableTrainer.Functions;
using DurableTrainer.Infrastructure.Storage;
using DurableTrainer.Infrastructure.TorchSharp;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Composition root of the Functions app: the same application, executor, storage and API as the worker, over the
// Durable Functions extension's task hub client instead of the self-hosted engine.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Durable payloads (inputs, outputs, custom status) use the same JSON as the self-hosted worker and the HTTP API.
builder.Services.Configure<WorkerOptions>(options => options.Serializer = new JsonObjectSerializer(MessageJson.Options));

var executorOptions = builder.Configuration.GetSection(TorchSharpExecutorOptions.SectionName).Get<TorchSharpExecutorOptions>() ?? new();
builder.Services
    .AddSingleton(builder.Configuration.GetSection(PredictionJobSettings.SectionName).Get<PredictionJobSettings>() ?? new())
    .AddApplication()
    .AddTorchSharpTraining(executorOptions)
    .AddBlobStorage(
        services => CheckpointStorage.CreateContainer(services.GetRequiredService<IConfiguration>()),
        services => services.GetRequiredService<IConfiguration>()["DurableTask:MetricsContainer"],
        services => services.GetRequiredService<IConfiguration>()["DurableTask:ModelsContainer"])
    .AddFunctionsDurableClient()
    .AddTrainingApi()
    .AddTrainingTelemetry(builder.Configuration, "durabletrainer-functions");

builder.Build().Run();
