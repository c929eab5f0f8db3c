using Azure.Core.Serialization;
using Azure.Storage.Blobs;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Training;
using DurableTrainer.Durable;
using DurableTrainer.Durable.Hosting;
using DurableTrainer.Functions;
using DurableTrainer.Infrastructure.Storage;
using DurableTrainer.Infrastructure.TorchSharp;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Composition root of the Functions app: the same executor, checkpoint store and durable classes as the worker.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Durable payloads (inputs, outputs, custom status) use the same JSON as the self-hosted worker and the HTTP API.
builder.Services.Configure<WorkerOptions>(options => options.Serializer = new JsonObjectSerializer(DurableJson.Options));

var executorOptions = builder.Configuration.GetSection(TorchSharpExecutorOptions.SectionName).Get<TorchSharpExecutorOptions>() ?? new();
builder.Services.AddSingleton(executorOptions);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(services => CheckpointStorage.CreateContainer(services.GetRequiredService<IConfiguration>()));
builder.Services.AddSingleton<ICheckpointStore, BlobCheckpointStore>();
builder.Services.AddSingleton<DatasetProvider>();
builder.Services.AddSingleton<ITrainingExecutor, TorchSharpTrainingExecutor>();
builder.Services.AddSingleton<IModelExporter, PyTorchModelExporter>();
builder.Services.AddTrainingTelemetry(builder.Configuration, "durabletrainer-functions");
builder.Services.AddSingleton<ICheckpointPruner, CheckpointPruner>();
// The metrics journal lives in a sibling container of the checkpoints, so checkpoint listings stay checkpoints only.
builder.Services.AddSingleton(services => BlobTrainingJournal.Beside(services.GetRequiredService<BlobContainerClient>(), services.GetRequiredService<IConfiguration>()["DurableTask:MetricsContainer"]));
builder.Services.AddSingleton<ITrainingJournal>(services => services.GetRequiredService<BlobTrainingJournal>());
builder.Services.AddSingleton<ITrainingJournalReader>(services => services.GetRequiredService<BlobTrainingJournal>());

builder.Build().Run();
