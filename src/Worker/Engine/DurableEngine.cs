using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTrainer.Application.Ports;
using DurableTrainer.Durable;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// The Durable Task Framework on the Azure Storage provider: it owns the task hub, runs our orchestration and
/// activities (through the shims that adapt TaskOrchestrationContext code to DurableTask.Core), and offers a client.
/// </summary>
public sealed class DurableEngine : IHostedService, IAsyncDisposable
{
    private readonly TaskHubWorker _worker;
    private readonly ILogger<DurableEngine> _logger;

    public DurableEngine(DurableEngineOptions options, string connectionString, ITrainingExecutor executor, ICheckpointPruner pruner, ITrainingJournal journal, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = loggerFactory.CreateLogger<DurableEngine>();
        HubName = options.HubName;
        Service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
            TaskHubName = options.HubName,
            PartitionCount = options.PartitionCount,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            WorkItemQueueVisibilityTimeout = options.WorkItemVisibilityTimeout,
            ControlQueueVisibilityTimeout = options.WorkItemVisibilityTimeout,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            LeaseInterval = options.LeaseInterval,
            LeaseRenewInterval = options.LeaseInterval / 3,
            LeaseAcquireInterval = options.LeaseInterval / 3,
            LoggerFactory = loggerFactory,
        });

        var shims = new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(DurableJson.Options) },
            loggerFactory);
        // UseFailureDetails keeps an activity's exception type and message for the orchestration to report.
        _worker = new TaskHubWorker(Service, loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        foreach (var (name, create) in TrainingTasks.Orchestrations)
        {
            _worker.AddTaskOrchestrations(new ShimOrchestrationCreator(shims, name, create));
        }

        foreach (var (name, create) in TrainingTasks.Activities(executor, pruner, journal))
        {
            _worker.AddTaskActivities(new ShimActivityCreator(shims, name, create));
        }

        Client = new TaskHubClient(Service, new CoreJsonDataConverter(), loggerFactory);
    }

    public string HubName { get; }

    public AzureStorageOrchestrationService Service { get; }

    public TaskHubClient Client { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Service.CreateIfNotExistsAsync();
        await _worker.StartAsync();
        _logger.LogInformation("Durable engine started on task hub {HubName}.", HubName);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // isForced: true: do not wait for running chunks; they are at-least-once and will be redelivered.
        await _worker.StopAsync(isForced: true);
        _logger.LogInformation("Durable engine stopped.");
    }

    public async ValueTask DisposeAsync()
    {
        _worker.Dispose();
        await Task.CompletedTask;
    }
}
