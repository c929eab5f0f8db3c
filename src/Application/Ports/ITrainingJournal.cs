using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Appends a run's metrics and decisions to a journal that outlives the process (and the orchestration's history).
/// Appends are at-least-once: a retry may write a record twice, so readers keep the latest of each identity.
/// </summary>
public interface ITrainingJournal
{
    Task AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, CancellationToken cancellationToken = default);
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

    public Task AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
