using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>Pruning as an activity: deleting blobs is I/O, which orchestration code must not do itself.</summary>
public sealed class ActivityCheckpointPruner(TaskOrchestrationContext context, TaskOptions activityOptions) : ICheckpointPruner
{
    public Task PruneAsync(IReadOnlyList<CheckpointReference> checkpoints, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<int>(DurableTaskNames.Prune, new PruneCommand(checkpoints), activityOptions);
}

/// <summary>Journal writes as an activity: appending to a blob is I/O, which orchestration code must not do itself.</summary>
public sealed class ActivityTrainingJournal(TaskOrchestrationContext context, TaskOptions activityOptions) : ITrainingJournal
{
    public Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<long>(DurableTaskNames.RecordMetrics, new RecordMetricsCommand(runId, records) { Once = once }, activityOptions);
}

/// <summary>The orchestration's replay-safe clock.</summary>
public sealed class OrchestrationClock(TaskOrchestrationContext context) : ITrainingClock
{
    public DateTime UtcNow => context.CurrentUtcDateTime;
}

/// <summary>Continue-as-new, keeping external events that have not been read yet for the next execution.</summary>
public sealed class ContinueAsNewContinuation(TaskOrchestrationContext context) : ITrainingContinuation
{
    public void ContinueAsNew(TrainingRunInput next) => context.ContinueAsNew(next, preserveUnprocessedEvents: true);
}

/// <summary>The input of the prune activity.</summary>
public sealed record PruneCommand(IReadOnlyList<CheckpointReference> Checkpoints);

/// <summary>The input of the record-metrics activity.</summary>
public sealed record RecordMetricsCommand(RunId RunId, IReadOnlyList<TrainingJournalRecord> Records)
{
    /// <summary>Makes the append idempotent across runs of the activity; absent in histories written before it existed.</summary>
    public JournalAppendOnce? Once { get; init; }
}
