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
/// orchestration's history holds a few scalars per chunk whatever its length. A chunk whose output checkpoint exists
/// when it starts ran before (the engine scheduled it twice after losing an answer, or a worker died after writing
/// it): it appends only the step records the journal lacks, so the journal holds each step once.
/// </summary>
public sealed class RunChunkActivity(ITrainingExecutor executor, ITrainingJournal? journal = null, ICheckpointStore? checkpoints = null, ITrainingJournalReader? journalReader = null)
    : TaskActivity<ChunkCommand, ChunkResult>
{
    public override async Task<ChunkResult> RunAsync(TaskActivityContext context, ChunkCommand input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Asked beside the chunk, not before it: the answer comes long before the chunk writes its own output (and were
        // it to come after, the chunk would only read the journal once more).
        Task<bool> ranBefore = journal is not null && journalReader is not null && checkpoints is not null ? checkpoints.ExistsAsync(input.Output) : Task.FromResult(false);
        ChunkResult result = await executor.RunChunkAsync(input);
        bool rerun = await ranBefore;
        if (journal is not null && result.StepMetrics is { Count: > 0 } steps)
        {
            IReadOnlyList<TrainingJournalRecord> records = StepRecords(input, result, steps, DateTime.UtcNow);
            if (rerun)
            {
                records = await NotYetJournaledAsync(input.Output.RunId, records);
            }

            if (records.Count > 0)
            {
                await journal.AppendAsync(input.Output.RunId, records);
            }
        }

        return result with { StepMetrics = null };
    }

    /// <summary>The step records of <paramref name="records"/> that the run's journal does not hold for their step, round and replica.</summary>
    private async Task<IReadOnlyList<TrainingJournalRecord>> NotYetJournaledAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records)
    {
        // A read from the start returns the whole journal.
        TrainingJournalPage journal = await journalReader!.ReadAsync(runId);
        var journaled = journal.Records.Where(record => record.Kind == TrainingJournalKind.Step).Select(record => (record.Step, record.Round, record.Replica)).ToHashSet();
        return [.. records.Where(record => !journaled.Contains((record.Step, record.Round, record.Replica)))];
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

/// <summary>Appends the orchestration's batch of journal records (I/O, so an activity). Idempotent for readers: duplicates are dropped on read.</summary>
public sealed class RecordMetricsActivity(ITrainingJournal journal) : TaskActivity<RecordMetricsCommand, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, RecordMetricsCommand input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await journal.AppendAsync(input.RunId, input.Records);
        return input.Records.Count;
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
