using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Sweeps;

namespace DurableTrainer.Application.Ports;

/// <summary>Starts a sweep in whatever engine hosts the orchestration.</summary>
public interface ISweepStarter
{
    /// <summary>True when no sweep (or run) of that id exists yet.</summary>
    Task<bool> IsFreeAsync(string sweepId, CancellationToken cancellationToken = default);

    /// <summary>Schedules the sweep; returns false, scheduling nothing, when one with that id already exists.</summary>
    Task<bool> TryScheduleAsync(SweepInput input, CancellationToken cancellationToken = default);
}

/// <summary>Where a sweep's definition (its base run and space) and its status document live.</summary>
public interface ISweepStore
{
    Task SaveDefinitionAsync(SweepDefinition definition, CancellationToken cancellationToken = default);

    Task<SweepDefinition?> GetDefinitionAsync(string sweepId, CancellationToken cancellationToken = default);

    Task SaveRecordAsync(SweepRecord record, CancellationToken cancellationToken = default);

    Task<SweepRecord?> GetRecordAsync(string sweepId, CancellationToken cancellationToken = default);
}

/// <summary>
/// What the sweep loop waits for next: a trial's report, a request to stop the sweep, or the end of a trial-check
/// period (<see cref="CheckDue"/>), when it checks that its running trials can still report.
/// </summary>
public sealed record SweepSignal(TrialReport? Report, bool StopRequested = false, bool CheckDue = false);

/// <summary>
/// The sweep loop's view of its host: start trials (I/O, so an activity), answer and signal them (events), wait for
/// the next signal, write its status document (an activity), show progress, and continue as new.
/// </summary>
public interface ISweepHost
{
    Task<StartTrialResult> StartTrialAsync(StartTrialCommand command);

    /// <summary>The running trials whose runs ended or vanished without reporting (I/O, so an activity).</summary>
    Task<IReadOnlyList<LostTrial>> FindLostTrialsAsync(FindLostTrialsCommand command);

    void SendVerdict(string trialRunId, RungVerdict verdict);

    void SignalStop(string trialRunId);

    /// <summary>The next signal; a <see cref="SweepSignal.CheckDue"/> one once per <paramref name="checkPeriod"/> in which nothing else is waiting.</summary>
    Task<SweepSignal> NextSignalAsync(TimeSpan checkPeriod);

    /// <summary>A signal that has already arrived, without waiting; null when none has.</summary>
    SweepSignal? TakeArrivedSignal();

    Task RecordAsync(SweepRecordUpdate update);

    void Report(SweepProgress progress);

    void ContinueAsNew(SweepInput next);
}
