using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Appends a run's metrics and decisions to a journal that outlives the process (and the orchestration's history).
/// Appends are at-least-once: a retry may write a record twice, so readers keep the latest of each identity.
/// </summary>
public interface ITrainingJournal
{
    Task AppendAsync(string runId, IReadOnlyList<TrainingJournalRecord> records, CancellationToken cancellationToken = default);
}

/// <summary>Reads a run's journal, duplicates removed, sorted by step then time; empty when nothing was written.</summary>
public interface ITrainingJournalReader
{
    Task<IReadOnlyList<TrainingJournalRecord>> ReadAsync(string runId, CancellationToken cancellationToken = default);
}

/// <summary>Journals nothing: for runs (and tests) that keep no journal.</summary>
public sealed class NoTrainingJournal : ITrainingJournal
{
    public static NoTrainingJournal Instance { get; } = new();

    public Task AppendAsync(string runId, IReadOnlyList<TrainingJournalRecord> records, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
