using System.Diagnostics.CodeAnalysis;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// What the loop leaves to run beside the next round's chunks: journal writes and the pruning of checkpoints a round
/// made redundant or the retention policy retires. Both cost no hop between rounds; they are settled once the chunks
/// return, and before the run ends or hands over.
/// </summary>
internal sealed class RunHousekeeping(ICheckpointPruner pruner, ITrainingJournal? journal, PureTrainingService domain, Func<DateTime> now)
{
    /// <summary>
    /// Waits for the housekeeping left running. A failed pruning throws here, unless <paramref name="quietly"/>
    /// (journal writes never throw: they keep their records for the next).
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Only when quietly: the run has already failed, and a pruning that fails too just leaves checkpoints behind.")]
    public static async Task SettleAsync(RunState run, bool quietly = false)
    {
        while (run.Housekeeping.Count > 0)
        {
            Task[] started = [.. run.Housekeeping];
            run.Housekeeping.Clear();
            try
            {
                await Task.WhenAll(started);
            }
            catch (Exception) when (quietly)
            {
            }
        }
    }

    /// <summary>
    /// Writes what is pending (chunk metrics, and the decisions the session recorded as events since the last write)
    /// in one call, once the housekeeping left running is done.
    /// </summary>
    public async Task JournalAsync(RunState run)
    {
        await SettleAsync(run);
        StartJournalWrite(run);
        await SettleAsync(run);
    }

    /// <summary>
    /// Starts writing what is pending. Records are stamped with the orchestration clock, read only when there is a
    /// journal. The journal watches the run and must not end it: when a write fails (its retries spent), the records
    /// go back to pending and go with the next write.
    /// </summary>
    public void StartJournalWrite(RunState run)
    {
        if (journal is null)
        {
            return;
        }

        run.Journal.CollectDecisions(run.Session, run.Round);
        if (run.Journal.Pending.Count > 0)
        {
            long from = run.Journal.WriteFrom(run.JournalMark);
            run.Housekeeping.Add(WriteJournalAsync(journal, run, run.Journal.Take(now()), from));
        }
    }

    /// <summary>
    /// Starts deleting what a round made redundant and what the retention policy retires: neither is the checkpoint
    /// (nor the momentum buffer) the next round starts from.
    /// </summary>
    public void RetireCheckpoints(RunState run, List<CheckpointReference> redundant)
    {
        IReadOnlyList<CheckpointReference> retired = domain.PlanRetention(run.Session, run.Specification);
        run.Journal.AddPruned(run.Session, run.Round, retired);

        redundant.AddRange(retired);
        if (redundant.Count > 0)
        {
            run.Housekeeping.Add(PruneAsync(run, redundant, retired));
        }
    }

    /// <summary>Deletes a rolled-back round's outputs at once: the retry writes the same names.</summary>
    public Task DiscardAsync(IReadOnlyList<CheckpointReference> outputs) => pruner.PruneAsync(outputs);

    private async Task PruneAsync(RunState run, IReadOnlyList<CheckpointReference> redundant, IReadOnlyList<CheckpointReference> retired)
    {
        await pruner.PruneAsync(redundant);
        run.Session.ForgetCheckpoints(retired);
    }

    /// <summary>
    /// Appends the records once: the orchestration makes them with replay-safe times, so an earlier run of this write
    /// (or a failed one, whose records come back) wrote exactly the same lines after <paramref name="from"/>.
    /// </summary>
    private static async Task WriteJournalAsync(ITrainingJournal journal, RunState run, TrainingJournalRecord[] records, long from)
    {
        try
        {
            await journal.AppendAsync(run.Session.RunId, records, new JournalAppendOnce(from, JournalDuplicate.SameRecord));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            run.Journal.Unwritten(records, from);
        }
    }
}
