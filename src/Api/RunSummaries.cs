using DurableTrainer.Application.Contracts;
using DurableTrainer.Contracts;

namespace DurableTrainer.Api;

/// <summary>A run's record as the engine keeps it, summed up as <see cref="RunSummary"/>.</summary>
public static class RunSummaries
{
    public static RunSummary From(RunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        TrainingProgress? progress = RunRecordPayloads.Read<TrainingProgress>(record.SerializedCustomStatus);
        TrainingOutcome? outcome = RunRecordPayloads.Read<TrainingOutcome>(record.SerializedOutput);
        long? step = outcome?.StepsDone ?? progress?.Step;
        long? total = progress?.TotalSteps;
        return new RunSummary(
            record.InstanceId,
            record.RuntimeStatus,
            progress?.Phase.ToString(),
            outcome?.Status.ToString(),
            outcome?.StopReason,
            outcome?.FailureReason ?? (record.RuntimeStatus is InstanceRuntimeStatus.Failed or InstanceRuntimeStatus.Terminated ? record.SerializedOutput : null),
            total is > 0 && step is not null ? Math.Round(100.0 * step.Value / total.Value, 1) : null,
            step,
            total,
            progress?.LastLoss,
            outcome?.FinalEvaluation ?? progress?.LastEvaluation,
            outcome?.BestEvaluation ?? progress?.BestEvaluation,
            outcome?.FinalCheckpoint,
            outcome?.BestCheckpoint,
            record.CreatedTime,
            record.LastUpdatedTime,
            progress,
            outcome?.TestEvaluation,
            outcome?.BestTestEvaluation);
    }
}
