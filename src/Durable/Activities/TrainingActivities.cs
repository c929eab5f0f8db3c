using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Sweeps;
using DurableTrainer.Application.UseCases;
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

/// <summary>
/// Runs a chunk, appends its per-step metrics to the run's journal, and returns the result without them, so the
/// orchestration's history holds a few scalars per chunk whatever its length. The append leaves out the step records
/// the journal holds after <see cref="ChunkCommand.JournalFrom"/>: the engine may run a chunk twice (after losing an
/// answer, or when a worker dies after the append), even two at once, and the journal still holds each step once.
/// </summary>
public sealed class RunChunkActivity(ITrainingExecutor executor, ITrainingJournal? journal = null)
    : TaskActivity<ChunkCommand, ChunkResult>
{
    public override async Task<ChunkResult> RunAsync(TaskActivityContext context, ChunkCommand input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ChunkResult result = await executor.RunChunkAsync(input);
        long journalEnd = 0;
        if (journal is not null && result.StepMetrics is { Count: > 0 } steps)
        {
            journalEnd = await journal.AppendAsync(
                input.Output.RunId,
                StepRecords(input, result, steps, DateTime.UtcNow),
                new JournalAppendOnce(input.JournalFrom, JournalDuplicate.SameIdentity));
        }

        return result with { StepMetrics = null, JournalEnd = journalEnd };
    }

    /// <summary>
    /// One record per step. Steps carry no clock of their own: their times are spread evenly over the chunk's
    /// duration, ending now.
    /// </summary>
    public static IReadOnlyList<TrainingJournalRecord> StepRecords(ChunkCommand command, ChunkResult result, IReadOnlyList<StepMetric> steps, DateTime finishedUtc)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(steps);
        double secondsPerStep = steps.Count > 0 ? result.Seconds / steps.Count : 0;
        var records = new TrainingJournalRecord[steps.Count];
        for (int i = 0; i < steps.Count; i++)
        {
            DateTime time = finishedUtc.AddSeconds(-secondsPerStep * (steps.Count - 1 - i));
            records[i] = new TrainingJournalRecord(TrainingJournalKind.Step, steps[i].Step, time)
            {
                Round = command.Round,
                Replica = command.Replica,
                Loss = TrainingJournalRecord.Finite(steps[i].Loss),
                LearningRate = steps[i].LearningRate,
            };
        }

        return records;
    }

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

/// <summary>Appends the orchestration's batch of journal records (I/O, so an activity), once; returns the journal's end after them.</summary>
public sealed class RecordMetricsActivity(ITrainingJournal journal) : TaskActivity<RecordMetricsCommand, long>
{
    public override Task<long> RunAsync(TaskActivityContext context, RecordMetricsCommand input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return journal.AppendAsync(input.RunId, input.Records, input.Once);
    }
}

/// <summary>Prepares a sweep's trial from its stored definition and schedules its run.</summary>
public sealed class StartTrialActivity(StartTrialHandler handler) : TaskActivity<StartTrialCommand, StartTrialResult>
{
    public override Task<StartTrialResult> RunAsync(TaskActivityContext context, StartTrialCommand input) => handler.StartAsync(input);
}

/// <summary>Finds a sweep's running trials whose runs ended or vanished without reporting.</summary>
public sealed class FindLostTrialsActivity(FindLostTrialsHandler handler) : TaskActivity<FindLostTrialsCommand, IReadOnlyList<LostTrial>>
{
    public override Task<IReadOnlyList<LostTrial>> RunAsync(TaskActivityContext context, FindLostTrialsCommand input) => handler.FindAsync(input);
}

/// <summary>Writes what changed in a sweep to its status document.</summary>
public sealed class RecordSweepActivity(RecordSweepHandler handler) : TaskActivity<SweepRecordUpdate, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, SweepRecordUpdate input) => handler.RecordAsync(input);
}
