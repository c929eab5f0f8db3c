using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>
/// The prediction loop's host in a durable orchestration: parts, the summary and the manifest are activities,
/// progress is the custom status, the clock is the orchestration's, and a long job continues as new. A part that
/// fails for good (its data or the checkpoint changed) fails the job with that reason in the user's words.
/// </summary>
public sealed class DurablePredictionHost(TaskOrchestrationContext context, TaskOptions activityOptions) : IPredictionHost
{
    public DateTime UtcNow => context.CurrentUtcDateTime;

    public Task<PredictionPartResult> PredictPartAsync(PredictPartCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Permanent(command.Checkpoint, () => context.CallActivityAsync<PredictionPartResult>(DurableTaskNames.PredictPart, command, activityOptions));
    }

    public Task<EvaluationMetrics> SummarizeAsync(SummarizePredictionsCommand command) =>
        Permanent(null, () => context.CallActivityAsync<EvaluationMetrics>(DurableTaskNames.SummarizePredictions, command, activityOptions));

    public Task WriteManifestAsync(WriteManifestCommand command) =>
        context.CallActivityAsync<int>(DurableTaskNames.WritePredictionManifest, command, activityOptions);

    public void Report(PredictionProgress progress) => context.SetCustomStatus(progress);

    public void ContinueAsNew(PredictionJobInput next) => context.ContinueAsNew(next, preserveUnprocessedEvents: true);

    /// <summary>The call's permanent failure rebuilt as the application's own exception, as the training executor's adapter does.</summary>
    private static async Task<T> Permanent<T>(CheckpointReference? checkpoint, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (TaskFailedException exception) when (exception.FailureDetails is { } failure
            && PermanentActivityFailures.Rebuild(failure, checkpoint ?? UnknownCheckpoint) is { } permanent)
        {
            throw permanent;
        }
    }

    // Only a corrupt checkpoint's rebuild reads the reference; the summary reads none, so any name serves there.
    private static readonly CheckpointReference UnknownCheckpoint = new(RunId.Parse("prediction"), "none");
}
