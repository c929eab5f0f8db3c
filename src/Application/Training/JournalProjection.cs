using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// Turns what a run does into journal records: chunk metrics as they come, and the decisions the session recorded
/// as domain events (evaluations, kept and pruned checkpoints, learning-rate changes, rollbacks, the end). Records
/// wait here until the loop writes them, so a failed write loses nothing. A run without a journal projects nothing.
/// </summary>
internal sealed class JournalProjection(double initialScale, bool enabled)
{
    private readonly List<TrainingJournalRecord> _pending = [];
    private long? _unwrittenFrom;
    private int _eventsProjected;
    private double _projectedScale = initialScale;

    public IReadOnlyList<TrainingJournalRecord> Pending => _pending;

    /// <summary>
    /// Stamps the pending records with <paramref name="now"/> (those without a time) and hands them over: they are
    /// no longer pending, so records added while they are being written wait for the next write. When the write
    /// fails, <see cref="Unwritten"/> gives them back.
    /// </summary>
    public TrainingJournalRecord[] Take(DateTime now)
    {
        TrainingJournalRecord[] taken = _pending.Select(record => record.Time == default ? record with { Time = now } : record).ToArray();
        _pending.Clear();
        _unwrittenFrom = null;
        return taken;
    }

    /// <summary>
    /// The journal cursor a write of the pending records reads from to leave out what is there: the run's mark, or
    /// where a failed write of some of them started, if earlier (it may have landed in part).
    /// </summary>
    public long WriteFrom(long journalMark) => Math.Min(journalMark, _unwrittenFrom ?? journalMark);

    /// <summary>The write that read from <paramref name="from"/> failed: the stamped records go back ahead of those added since, for the next write.</summary>
    public void Unwritten(IEnumerable<TrainingJournalRecord> records, long from)
    {
        _pending.InsertRange(0, records);
        _unwrittenFrom = Math.Min(from, _unwrittenFrom ?? from);
    }

    public void CollectDecisions(TrainingSession session, long round)
    {
        if (!enabled)
        {
            return;
        }

        IReadOnlyList<TrainingEvent> events = session.Events;
        for (; _eventsProjected < events.Count; _eventsProjected++)
        {
            TrainingEvent trainingEvent = events[_eventsProjected];
            if (Describe(session, trainingEvent, round) is { } record)
            {
                _pending.Add(record);
            }

            if (trainingEvent is RolledBack rolledBack && rolledBack.LearningRateScale != _projectedScale)
            {
                _pending.Add(Record(TrainingJournalKind.LearningRate, rolledBack.StepsDone, round) with { Scale = rolledBack.LearningRateScale, Reason = "rollback: " + rolledBack.Reason });
            }

            _projectedScale = trainingEvent switch
            {
                RolledBack rolled => rolled.LearningRateScale,
                LearningRateAdjusted adjusted => adjusted.Scale,
                _ => _projectedScale,
            };
        }
    }

    /// <summary>Per-replica chunk means; and per-step metrics when the executor returned them (the durable host journals those in the chunk's activity).</summary>
    public void AddChunks(long round, long stepsAfter, IReadOnlyList<ChunkResult> results)
    {
        if (!enabled)
        {
            return;
        }

        for (int replica = 0; replica < results.Count; replica++)
        {
            ChunkResult result = results[replica];
            foreach (StepMetric step in result.StepMetrics ?? [])
            {
                _pending.Add(Record(TrainingJournalKind.Step, step.Step, round) with
                {
                    Replica = replica,
                    Loss = TrainingJournalRecord.Finite(step.Loss),
                    LearningRate = step.LearningRate,
                });
            }

            _pending.Add(Record(TrainingJournalKind.Chunk, stepsAfter, round) with
            {
                Replica = replica,
                Loss = TrainingJournalRecord.Finite(result.MeanLoss),
                SamplesPerSecond = result.Seconds > 0 ? Math.Round(result.Samples / result.Seconds, 1) : null,
                Seconds = Math.Round(result.Seconds, 3),
            });
        }
    }

    /// <summary>A kept checkpoint the retention policy retires is journaled again as pruned (same identity, so it replaces the kept record).</summary>
    public void AddPruned(TrainingSession session, long round, IReadOnlyList<CheckpointReference> retired)
    {
        if (!enabled)
        {
            return;
        }

        // Collect first, so a kept record always precedes its pruned one.
        CollectDecisions(session, round);
        foreach (HeldCheckpoint held in session.HeldCheckpoints.Where(held => held.AtInterval && retired.Contains(held.Checkpoint)))
        {
            _pending.Add(new TrainingJournalRecord(TrainingJournalKind.Checkpoint, held.StepsDone, default) { Round = held.Round, Checkpoint = held.Checkpoint.Name, Status = "pruned" });
        }
    }

    private static TrainingJournalRecord? Describe(TrainingSession session, TrainingEvent trainingEvent, long round) => trainingEvent switch
    {
        EvaluationCompleted evaluation => Record(TrainingJournalKind.Evaluation, evaluation.Metrics.StepsDone, round) with
        {
            Loss = TrainingJournalRecord.Finite(evaluation.Metrics.Loss),
            Scores = TrainingJournalRecord.FiniteScores(evaluation.Metrics.Scores),
        },
        TestEvaluated test => Record(TrainingJournalKind.Test, test.Metrics.StepsDone, round) with
        {
            Loss = TrainingJournalRecord.Finite(test.Metrics.Loss),
            Scores = TrainingJournalRecord.FiniteScores(test.Metrics.Scores),
            Checkpoint = test.Checkpoint.Name,
            Status = test.OfBest ? "best" : "final",
        },
        CheckpointSaved saved => Record(TrainingJournalKind.Checkpoint, saved.StepsDone, round) with { Checkpoint = saved.Checkpoint.Name, Status = "kept" },
        LearningRateAdjusted adjusted => Record(TrainingJournalKind.LearningRate, session.StepsDone, round) with { Scale = adjusted.Scale, Reason = adjusted.Reason },
        RolledBack rolledBack => Record(TrainingJournalKind.Rollback, rolledBack.StepsDone, round) with { Checkpoint = rolledBack.To.Name, Reason = rolledBack.Reason },
        TrainingCompleted completed => Record(TrainingJournalKind.Stop, completed.StepsDone, round) with { Reason = completed.Reason.ToString(), Status = nameof(TrainingStatus.Completed) },
        TrainingStopped stopped => Record(TrainingJournalKind.Stop, stopped.StepsDone, round) with { Reason = stopped.Reason.ToString(), Status = nameof(TrainingStatus.Stopped) },
        TrainingFailed failed => Record(TrainingJournalKind.Stop, session.StepsDone, round) with { Reason = failed.Reason, Status = nameof(TrainingStatus.Failed) },
        _ => null,
    };

    private static TrainingJournalRecord Record(TrainingJournalKind kind, long step, long round) => new(kind, step, default) { Round = round };
}
