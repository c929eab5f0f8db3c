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
        CallAsync<InitializationResult>(DurableTaskNames.Initialize, command, command.Output);

    public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default) =>
        CallAsync<ChunkResult>(DurableTaskNames.RunChunk, command, command.Start);

    public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) =>
        CallAsync<CheckpointReference>(DurableTaskNames.Merge, command, command.Output);

    public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) =>
        CallAsync<EvaluationResult>(DurableTaskNames.Evaluate, command, command.Checkpoint);

    /// <summary>
    /// An activity that failed on a model file that is gone or changed surfaces as that <see cref="ModelFileException"/>,
    /// and one that failed on data that is gone, changed or unreadable as that <see cref="DatasetException"/>.
    /// An activity that failed on a corrupt checkpoint surfaces as a <see cref="TaskFailedException"/>; the loop
    /// needs the application's <see cref="CheckpointCorruptException"/> naming what the command read. For a merge,
    /// whose inputs are the round's fresh outputs, the merged output stands for them: the round is run again.
    /// </summary>
    private async Task<T> CallAsync<T>(string activity, object command, CheckpointReference input)
    {
        try
        {
            return await context.CallActivityAsync<T>(activity, command, activityOptions);
        }
        catch (TaskFailedException failure) when (PermanentActivityFailures.Rebuild(failure.FailureDetails, input) is { } permanent)
        {
            throw permanent;
        }
    }
}
