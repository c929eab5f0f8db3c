using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>
/// The executor as the orchestration sees it: every call schedules an activity (with retries) and returns the
/// durable task, so the application's training loop runs unchanged inside a replayed orchestration.
/// </summary>
public sealed class ActivityTrainingExecutor(TaskOrchestrationContext context, TaskOptions activityOptions) : ITrainingExecutor
{
    public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<InitializationResult>(TrainingTaskNames.Initialize, command, activityOptions);

    public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<ChunkResult>(TrainingTaskNames.RunChunk, command, activityOptions);

    public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<CheckpointReference>(TrainingTaskNames.Merge, command, activityOptions);

    public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) =>
        context.CallActivityAsync<EvaluationResult>(TrainingTaskNames.Evaluate, command, activityOptions);
}
