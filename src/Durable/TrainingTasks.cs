using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Sweeps;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Durable.Activities;
using DurableTrainer.Durable.Orchestrations;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable;

/// <summary>
/// What a sweep's activities run, resolved when an activity runs rather than when the host is built (starting a
/// trial needs the host's own client, which exists only once the host does).
/// </summary>
public sealed record SweepActivityHandlers(Func<StartTrialHandler> StartTrial, Func<RecordSweepHandler> RecordSweep, Func<FindLostTrialsHandler> FindLostTrials);

/// <summary>Every orchestration and activity of a training run and of a sweep, by registered name; hosts register from these lists.</summary>
public static class TrainingTasks
{
    public static IReadOnlyList<(string Name, Func<ITaskOrchestrator> Create)> Orchestrations { get; } =
    [
        (TrainingTaskNames.Orchestration, () => new TrainingOrchestration()),
        (TrainingTaskNames.SweepOrchestration, () => new SweepOrchestration()),
    ];

    public static IReadOnlyList<(string Name, Func<ITaskActivity> Create)> Activities(ITrainingExecutor executor, ICheckpointPruner pruner, ITrainingJournal? journal, SweepActivityHandlers sweeps)
    {
        ArgumentNullException.ThrowIfNull(sweeps);
        return
        [
            (TrainingTaskNames.Initialize, () => new InitializeTrainingActivity(executor)),
            (TrainingTaskNames.RunChunk, () => new RunChunkActivity(executor, journal)),
            (TrainingTaskNames.Merge, () => new MergeReplicasActivity(executor)),
            (TrainingTaskNames.Evaluate, () => new EvaluateCheckpointActivity(executor)),
            (TrainingTaskNames.Prune, () => new PruneCheckpointsActivity(pruner)),
            (TrainingTaskNames.RecordMetrics, () => new RecordMetricsActivity(journal ?? NoTrainingJournal.Instance)),
            (TrainingTaskNames.StartTrial, () => new StartTrialActivity(sweeps.StartTrial)),
            (TrainingTaskNames.RecordSweep, () => new RecordSweepActivity(sweeps.RecordSweep)),
            (TrainingTaskNames.FindLostTrials, () => new FindLostTrialsActivity(sweeps.FindLostTrials)),
        ];
    }
}
