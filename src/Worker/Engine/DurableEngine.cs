using System.Diagnostics.CodeAnalysis;
using Azure.Storage.Blobs;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// The Durable Task Framework on the Azure Storage provider: it owns the task hub, runs our orchestration and
/// activities (through the shims that adapt TaskOrchestrationContext code to DurableTask.Core), and offers a client.
/// It reaches its storage in the background: while storage is unreachable it retries with backoff, one log line an
/// attempt, and <see cref="IsReady"/> stays false (the health route answers 503); storage that refuses the
/// credentials stops the worker with one sentence naming the setting, and exit code <see cref="RefusedCredentialsExitCode"/>.
/// </summary>
public sealed class DurableEngine : IHostedService, IAsyncDisposable
{
    /// <summary>The process's exit code when storage refused its credentials.</summary>
    public const int RefusedCredentialsExitCode = 3;

    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(30);
    private const int QuickAttempts = 4;

    /// <summary>How long a stop waits for storage to take back the task hub's leases.</summary>
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(5);

    private readonly TaskHubWorker _worker;
    private readonly ILogger<DurableEngine> _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly string _endpoint;
    private readonly BlobServiceClient _probe;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _starting;
    private volatile bool _started;

    public DurableEngine(DurableEngineOptions options, StorageConnection storage, StorageClients clients, IServiceProvider services, ILoggerFactory loggerFactory, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(clients);
        string connectionString = storage.ConnectionString;
        _logger = loggerFactory.CreateLogger<DurableEngine>();
        _lifetime = lifetime;
        _endpoint = StorageEndpoints.Describe(connectionString);
        _probe = StorageEndpoints.Probe(connectionString);
        HubName = options.HubName;
        Service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(
                StorageServiceClientProvider.ForBlob(connectionString, clients.Blob()),
                StorageServiceClientProvider.ForQueue(connectionString, clients.Queue(connectionString)),
                StorageServiceClientProvider.ForTable(connectionString, clients.Table())),
            TaskHubName = options.HubName,
            // The provider names a worker by its machine by default, and a partition lease held under that name counts
            // as held by every worker of the machine: a second worker on one machine listened on the first one's
            // control queue without its lease, the two ran one orchestration's episodes at once, and the engine threw
            // the later one's results away ("split brain") and retried it after the poller's back-off (3 s stalls in
            // 2-worker runs). One name per process makes a partition one worker's.
            WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}",
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
            new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(MessageJson.Options) },
            loggerFactory);
        // UseFailureDetails keeps an activity's exception type and message for the orchestration to report.
        // Orchestrations by name and version: a run started by a build whose orchestration this one cannot replay fails
        // at once, saying so (OrchestrationVersions, docs/upgrades.md).
        _worker = new TaskHubWorker(Service, new TasksByName<TaskOrchestration>(), new TasksByName<DurableTask.Core.TaskActivity>(), loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        _worker.AddOrchestrationDispatcherMiddleware(OrchestrationVersionCheck.RefuseWhatThisBuildCannotReplay);
        // Each work item gets a fresh object from the container: activities resolve the executor, the stores and the
        // sweep handlers only once the host exists (a sweep's handlers need this engine's own client).
        foreach (DurableTaskRegistration task in DurableTasks.All)
        {
            ObjectFactory create = ActivatorUtilities.CreateFactory(task.Implementation, Type.EmptyTypes);
            if (task.Kind == DurableTaskKind.Orchestration)
            {
                _worker.AddTaskOrchestrations(new ShimOrchestrationCreator(shims, task.Name, () => (ITaskOrchestrator)create(services, null)));
            }
            else
            {
                _worker.AddTaskActivities(new ShimActivityCreator(shims, task.Name, () => (ITaskActivity)create(services, null)));
            }
        }

        Client = new TaskHubClient(Service, new CoreJsonDataConverter(), loggerFactory);
    }

    public string HubName { get; }

    public AzureStorageOrchestrationService Service { get; }

    public TaskHubClient Client { get; }

    /// <summary>True once the task hub exists and the engine is taking work.</summary>
    public bool IsReady => _started;

    /// <summary>Why the engine is not ready yet (the last storage error), or null.</summary>
    public string? NotReadyReason { get; private set; } = "connecting to storage";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Not awaited: the HTTP host starts at once (its health route says 503 until this finishes).
        _starting = Task.Run(() => ConnectAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Storage that is unreachable at start-up is retried whatever the cause; refused credentials stop the worker above.")]
    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // Quick attempts first: dtrain starts the worker alongside Azurite, which listens up to a second later.
        TimeSpan delay = TimeSpan.FromMilliseconds(250);
        for (int attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                // One quick request without the SDK's retries first: it tells unreachable from refused in a second,
                // where the provider's own retries would take half a minute and log every stack on the way.
                await _probe.GetPropertiesAsync(cancellationToken);
                await Service.CreateIfNotExistsAsync();
                await _worker.StartAsync();
                _started = true;
                NotReadyReason = null;
                _logger.LogInformation("Durable engine started on task hub {HubName} ({Endpoint}).", HubName, _endpoint);
                return;
            }
            catch (Exception exception) when (StorageStartupFailure.IsRefusedCredentials(exception))
            {
                NotReadyReason = "storage refused the credentials";
                _logger.LogCritical(
                    "Storage at {Endpoint} refused the worker's credentials ({Error}); fix the account name and key (or SAS) in {Setting} (or AzureWebJobsStorage). The worker stops.",
                    _endpoint, StorageStartupFailure.Describe(exception), StorageStartupFailure.Setting);
                Environment.ExitCode = RefusedCredentialsExitCode;
                _lifetime?.StopApplication();
                return;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                NotReadyReason = $"storage at {_endpoint} is unreachable: {StorageStartupFailure.Describe(exception)}";
                _logger.LogWarning("Storage at {Endpoint} is unreachable (attempt {Attempt}: {Error}); retrying in {Delay:0.##} s.",
                    _endpoint, attempt, StorageStartupFailure.Describe(exception), delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (attempt >= QuickAttempts)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_starting is not null)
        {
            await _starting.WaitAsync(cancellationToken);
        }

        if (_started)
        {
            // isForced: true: do not wait for running chunks; they are at-least-once and will be redelivered.
            // Stopping releases the task hub's partition leases, and retries for as long as storage does not answer:
            // with storage gone, a stop (Ctrl+C, SIGTERM) took from 20 s to over a minute, until the storage client's
            // retries gave up. The leases expire on their own (another worker then takes the partitions over), so
            // nothing is lost by leaving once the patience is spent. Started on a pool thread, in case part of the
            // stop runs synchronously before it returns a task.
            Task stop = Task.Run(() => _worker.StopAsync(isForced: true), CancellationToken.None);
            if (await Task.WhenAny(stop, Task.Delay(StopPatience, cancellationToken)) == stop)
            {
                await stop;
                _logger.LogInformation("Durable engine stopped.");
            }
            else
            {
                _logger.LogWarning(
                    "Storage at {Endpoint} did not answer the durable engine's stop within {Seconds:0} s; stopping without it (its partition leases expire on their own).",
                    _endpoint, StopPatience.TotalSeconds);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        _worker.Dispose();
        await Task.CompletedTask;
    }
}
