using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Activities;

// Thin activities: each hands its message to the real executor (or pruner). They are at-least-once; outputs are
// written to names fixed by (run, round, replica), so a retry overwrites rather than duplicates.

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

public sealed class PruneCheckpointsActivity(ICheckpointPruner pruner) : TaskActivity<PruneCommand, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, PruneCommand input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await pruner.PruneAsync(input.Checkpoints);
        return input.Checkpoints.Count;
    }
}
