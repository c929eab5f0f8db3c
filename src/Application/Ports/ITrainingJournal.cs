using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Appends a run's metrics and decisions to a journal that outlives the process (and the orchestration's history).
/// A plain append is at-least-once when the code that makes it runs twice; an append with <see cref="JournalAppendOnce"/>
/// leaves out what an earlier run of that code already wrote, so the journal holds each record once.
/// </summary>
public interface ITrainingJournal
{
    /// <summary>Appends <paramref name="records"/> and returns the journal's end after them (a cursor for <see cref="JournalAppendOnce.From"/>).</summary>
    Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// Makes an append idempotent: the records that the journal already holds after <see cref="From"/>, in the sense of
/// <see cref="Duplicates"/>, are left out. <see cref="From"/> is a cursor taken before the code that appends was
/// scheduled, so anything of the same kind written since can only come from an earlier run of that code (its answer
/// lost, its worker killed) or a twin running beside it.
/// </summary>
public sealed record JournalAppendOnce(long From, JournalDuplicate Duplicates);

/// <summary>What makes a record already written.</summary>
public enum JournalDuplicate
{
    /// <summary>The same record, field for field: for records whose times are replay-safe (made by the orchestration).</summary>
    SameRecord,

    /// <summary>A record of the same <see cref="TrainingJournalRecord.Identity"/>: for records stamped with the time they were made (a chunk's steps).</summary>
    SameIdentity,
}

/// <summary>
/// Reads a run's journal from a cursor on: the records written since the page that returned it (0 reads it all),
/// duplicates within the page removed, sorted by step then time; empty when nothing more was written. A reader
/// that keeps pages merges them by <see cref="TrainingJournalRecord.Identity"/>, the later record winning, as the
/// journal itself does: a round trained again after a rollback rewrites its steps.
/// </summary>
public interface ITrainingJournalReader
{
    Task<TrainingJournalPage> ReadAsync(RunId runId, long cursor = 0, CancellationToken cancellationToken = default);
}

/// <summary>Records written after a cursor, and the cursor to pass next time (where this page ended).</summary>
public sealed record TrainingJournalPage(IReadOnlyList<TrainingJournalRecord> Records, long Cursor);

/// <summary>Journals nothing: for runs (and tests) that keep no journal.</summary>
public sealed class NoTrainingJournal : ITrainingJournal
{
    public static NoTrainingJournal Instance { get; } = new();

    public Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default) => Task.FromResult(0L);
}
