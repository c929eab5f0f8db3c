using DurableTrainer.Application.Ports;
using DurableTrainer.Durable.Activities;
using DurableTrainer.Durable.Orchestrations;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable;

/// <summary>Every orchestration and activity of a training run, by registered name; hosts register from these lists.</summary>
public static class TrainingTasks
{
    public static IReadOnlyList<(string Name, Func<ITaskOrchestrator> Create)> Orchestrations { get; } =
    [
        (TrainingTaskNames.Orchestration, () => new TrainingOrchestration()),
    ];

    public static IReadOnlyList<(string Name, Func<ITaskActivity> Create)> Activities(ITrainingExecutor executor, ICheckpointPruner pruner, ITrainingJournal? journal = null) =>
    [
        (TrainingTaskNames.Initialize, () => new InitializeTrainingActivity(executor)),
        (TrainingTaskNames.RunChunk, () => new RunChunkActivity(executor, journal)),
        (TrainingTaskNames.Merge, () => new MergeReplicasActivity(executor)),
        (TrainingTaskNames.Evaluate, () => new EvaluateCheckpointActivity(executor)),
        (TrainingTaskNames.Prune, () => new PruneCheckpointsActivity(pruner)),
        (TrainingTaskNames.RecordMetrics, () => new RecordMetricsActivity(journal ?? NoTrainingJournal.Instance)),
    ];
}
