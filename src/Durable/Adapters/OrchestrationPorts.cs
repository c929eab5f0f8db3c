using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>Pruning as an activity: deleting blobs is I/O, which orchestration code must not do itself.</summary>
public sealed class ActivityCheckpointPruner(TaskOrchestrationContext context, TaskOptions activityOptions) : ICheckpointPruner
{
    public Task PruneAsync(IReadOnlyList<CheckpointReference> checkpoints, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<int>(TrainingTaskNames.Prune, new PruneCommand(checkpoints), activityOptions);
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
