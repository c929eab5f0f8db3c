using Azure.Core.Serialization;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Durable;
using DurableTrainer.Durable.Hosting;
using DurableTrainer.Functions;
using DurableTrainer.Infrastructure.Storage;
using DurableTrainer.Infrastructure.TorchSharp;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Composition root of the Functions app: the same executor, checkpoint store and durable classes as the worker.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Durable payloads (inputs, outputs, custom status) use the same JSON as the self-hosted worker and the HTTP API.
builder.Services.Configure<WorkerOptions>(options => options.Serializer = new JsonObjectSerializer(MessageJson.Options));

var executorOptions = builder.Configuration.GetSection(TorchSharpExecutorOptions.SectionName).Get<TorchSharpExecutorOptions>() ?? new();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddTorchSharpTraining(executorOptions);
builder.Services.AddBlobStorage(
    services => CheckpointStorage.CreateContainer(services.GetRequiredService<IConfiguration>()),
    services => services.GetRequiredService<IConfiguration>()["DurableTask:MetricsContainer"],
    services => services.GetRequiredService<IConfiguration>()["DurableTask:ModelsContainer"]);
builder.Services.AddTrainingTelemetry(builder.Configuration, "durabletrainer-functions");
// Api:WarmUpRun, when set, has the instance load that run's data at start-up (see SubmissionWarmUp).
builder.Services.AddHostedService<SubmissionWarmUp>();

builder.Build().Run();
