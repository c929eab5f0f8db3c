namespace DurableTrainer.Worker.Engine;

/// <summary>Settings of the self-hosted durable engine (configuration section "DurableTask").</summary>
public sealed class DurableEngineOptions
{
    public const string SectionName = "DurableTask";

    /// <summary>Storage for the task hub and checkpoints; falls back to AzureWebJobsStorage, then to Azurite's defaults.</summary>
    public string? StorageConnectionString { get; set; }

    public string HubName { get; set; } = "DurableTrainer";

    /// <summary>Blob container for checkpoints.</summary>
    public string CheckpointContainer { get; set; } = "checkpoints";

    /// <summary>Partitions (control queues). One is plenty for a single worker and gets its lease fastest.</summary>
    public int PartitionCount { get; set; } = 1;

    /// <summary>Activities this process runs at once; libtorch threads are divided between them.</summary>
    public int MaxConcurrentActivities { get; set; } = 1;

    /// <summary>How long a work item stays hidden before another worker may take it over (e.g. after a crash).</summary>
    public TimeSpan WorkItemVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a partition lease lasts without renewal: how soon a surviving worker takes over a dead one's orchestrations.</summary>
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between queue polls when idle (the provider's default of 30 s makes pickup slow).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The storage SDK's wait before its first retry of a transient failure (503 ServerBusy, 500, a reset connection);
    /// each later retry waits twice as long, with jitter, up to <see cref="StorageRetryMaxDelay"/>. The SDK's own 0.8 s
    /// put most of a throttled call's cost on a training run's critical path.
    /// </summary>
    public TimeSpan StorageRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan StorageRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of one storage call before it fails (then the engine, or the activity, tries again whole).</summary>
    public int StorageRetries { get; set; } = 6;

    /// <summary>
    /// How long a queue message stays hidden until the answer to the dequeue that took it has arrived; then it is held
    /// for <see cref="WorkItemVisibilityTimeout"/>. A dequeue whose answer is lost on the way thus delays its messages
    /// by this much rather than the whole visibility timeout (ADR 0027). Zero turns it off.
    /// </summary>
    public TimeSpan LostDequeueRedelivery { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the worker logs the storage faults the SDK retried (one line with counts, when there were any).</summary>
    public TimeSpan StorageFaultLogInterval { get; set; } = TimeSpan.FromMinutes(1);

    public string ResolveConnectionString(string? azureWebJobsStorage) =>
        !string.IsNullOrWhiteSpace(StorageConnectionString) ? StorageConnectionString
        : !string.IsNullOrWhiteSpace(azureWebJobsStorage) ? azureWebJobsStorage
        : "UseDevelopmentStorage=true";
}
