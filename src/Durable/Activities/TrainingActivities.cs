using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Activities;

// Thin activities: each hands its message to the real executor. They are at-least-once; the executor makes them
// idempotent by writing to output names fixed by (run, round, replica).

public sealed class InitializeTrainingActivity(ITrainingExecutor executor) : TaskActivity<InitializeCommand, InitializationResult>
{
    public override Task<InitializationResult> RunAsync(TaskActivityContext context, InitializeCommand input) =>
        executor.InitializeAsync(input);
}

public sealed class RunChunkActivity(ITrainingExecutor executor) : TaskActivity<ChunkCommand, ChunkResult>
{
    public override Task<ChunkResult> RunAsync(TaskActivityContext context, ChunkCommand input) =>
        executor.RunChunkAsync(input);
}

public sealed class MergeReplicasActivity(ITrainingExecutor executor) : TaskActivity<MergeCommand, CheckpointReference>
{
    public override Task<CheckpointReference> RunAsync(TaskActivityContext context, MergeCommand input) =>
        executor.MergeAsync(input);
}

public sealed class EvaluateCheckpointActivity(ITrainingExecutor executor) : TaskActivity<EvaluateCommand, EvaluationResult>
{
    public override Task<EvaluationResult> RunAsync(TaskActivityContext context, EvaluateCommand input) =>
        executor.EvaluateAsync(input);
}
