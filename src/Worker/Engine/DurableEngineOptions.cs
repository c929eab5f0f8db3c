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

    public string ResolveConnectionString(string? azureWebJobsStorage) =>
        !string.IsNullOrWhiteSpace(StorageConnectionString) ? StorageConnectionString
        : !string.IsNullOrWhiteSpace(azureWebJobsStorage) ? azureWebJobsStorage
        : "UseDevelopmentStorage=true";
}
