using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// One parameter of a sweep as submitted: its dimension (path and distribution) and, for a choice, its values as
/// JSON text (a number, a string, true/false, a list or an object: whatever the path takes).
/// </summary>
public sealed record SweepDimension(SearchDimension Dimension, IReadOnlyList<string>? Values = null)
{
    /// <summary>The JSON a draw along this dimension puts at its path.</summary>
    public string JsonOf(double draw) => Dimension.Kind switch
    {
        DistributionKind.Choice => Values![(int)draw],
        _ => Dimension.Describe(draw),
    };
}

/// <summary>
/// A sweep as a client submits it: a base run request, the space over paths of it, the search method, the
/// scheduler, how many trials run at once and an optional budget in optimizer steps. docs/sweeps.md lists every field.
/// </summary>
public sealed record SweepRequest
{
    public string? SweepId { get; init; }
    public TrainingRequest Base { get; init; } = new();
    public IReadOnlyList<SweepDimension> Space { get; init; } = [];
    public SearchSection Search { get; init; } = new();
    public SchedulerSection Scheduler { get; init; } = new();
    public int MaxConcurrent { get; init; } = 2;
    public long? BudgetSteps { get; init; }
    public int TrialCheckSeconds { get; init; } = SweepSettings.DefaultTrialCheckSeconds;

    public SweepSettings Settings => new(Search, Scheduler, MaxConcurrent, BudgetSteps, TrialCheckSeconds);
}

/// <summary>What a sweep's trials are made from, stored once at submission so the sweep's history holds ids and scalars only.</summary>
public sealed record SweepDefinition(string SweepId, TrainingRequest Base, IReadOnlyList<SweepDimension> Space);

/// <summary>
/// The sweep orchestration's input: everything is a scalar or an id. After a continue-as-new it also carries the
/// sweep session's snapshot and the trials the last execution decided to start but left to this one.
/// </summary>
public sealed record SweepInput(
    string SweepId,
    SweepSettings Settings,
    IReadOnlyList<TrialRecord> Trials,
    IReadOnlyList<long> Rungs,
    MonitorMode Mode,
    string Metric,
    SweepSnapshot? Snapshot = null,
    int Execution = 1)
{
    public IReadOnlyList<int> DeferredStarts { get; init; } = [];
}

/// <summary>How a trial run knows it belongs to a sweep: where to report, its index, and the rungs it pauses at.</summary>
public sealed record TrialLink(string SweepId, int Trial, IReadOnlyList<long> Rungs);

/// <summary>The sweep's answer to a trial waiting at a rung.</summary>
/// <summary>
/// The sweep's answer to a trial at a rung. <see cref="Rung"/> names the rung it answers (null in verdicts sent before
/// it existed), so a trial can tell a copy of an earlier verdict, delivered again after a storage fault, from its own.
/// </summary>
public sealed record RungVerdict(bool Continue, string? Reason = null, int? Rung = null);

/// <summary>The input of the find-lost-trials activity: the trials the sweep believes are running.</summary>
public sealed record FindLostTrialsCommand(string SweepId, IReadOnlyList<int> Trials);

/// <summary>A running trial whose run ended, or vanished, without reporting its end to the sweep.</summary>
public sealed record LostTrial(int Trial, string Reason);

/// <summary>The input of the start-trial activity: which trial of which sweep, at which point.</summary>
public sealed record StartTrialCommand(string SweepId, int Trial, IReadOnlyList<double> Draws, IReadOnlyList<long> Rungs);

/// <summary>Whether a trial's run was scheduled (an existing one counts), or why it could not be.</summary>
public sealed record StartTrialResult(bool Started, string? Error = null);

/// <summary>One trial as the sweep's status shows it.</summary>
public sealed record SweepTrialView(
    int Index,
    RunId RunId,
    IReadOnlyDictionary<string, System.Text.Json.JsonElement> Parameters,
    string Status,
    long Steps,
    long PlannedSteps,
    int? LastRung,
    double? Metric,
    string? Reason,
    double? Test = null);

/// <summary>
/// A sweep's status document: its settings, every trial, and the best one. The sweep orchestration keeps it up
/// to date (one small write per decision), and the status routes, the command line and the dashboard read it.
/// </summary>
public sealed record SweepRecord(
    string SweepId,
    string Status,
    string Metric,
    string Mode,
    string Scheduler,
    IReadOnlyList<long> Rungs,
    int MaxConcurrent,
    long? BudgetSteps,
    long StepsDone,
    long CommittedSteps,
    IReadOnlyList<SweepTrialView> Trials,
    int? BestTrial)
{
    public static RunId TrialRunId(string sweepId, int trial) => RunId.Parse($"{sweepId}-t{trial:D3}");

    public SweepTrialView? Best => BestTrial is { } best && best >= 0 && best < Trials.Count ? Trials[best] : null;
}

/// <summary>What changed in a sweep since its record was last written: the header's figures and the trials that moved.</summary>
public sealed record SweepRecordUpdate(string SweepId, string Status, long StepsDone, long CommittedSteps, int? BestTrial, IReadOnlyList<TrialRecord> Changed);

/// <summary>A sweep's progress as its custom status: counts only, bounded whatever the number of trials.</summary>
public sealed record SweepProgress(string SweepId, string Status, int Trials, int Running, int Finished, long StepsDone, int? BestTrial, double? BestMetric, int Execution);

/// <summary>The sweep orchestration's output.</summary>
public sealed record SweepOutcome(string SweepId, string Status, int Trials, int Completed, int Stopped, int Failed, int NotStarted, long StepsDone, int? BestTrial, RunId? BestRunId, double? BestMetric, string Metric)
{
    public const string ContinuedAsNew = "ContinuedAsNew";
}
