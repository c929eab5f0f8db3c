using System.Globalization;
using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Sweeps;

public enum TrialStatus
{
    Pending,
    Running,
    Completed,
    Stopped,
    Failed,

    /// <summary>Never started: the sweep was stopped, or its step budget was spent, first.</summary>
    NotStarted,
}

public enum SweepStatus
{
    Running,
    Completed,
    Stopped,
}

/// <summary>One trial as the sweep sees it: its point, its plan, and how far it got.</summary>
public sealed record TrialRecord(int Index, IReadOnlyList<double> Draws, long PlannedSteps)
{
    public TrialStatus Status { get; init; } = TrialStatus.Pending;
    public long StepsDone { get; init; }

    /// <summary>The last rung the trial reported at (0-based), or null before the first.</summary>
    public int? LastRung { get; init; }

    /// <summary>The monitored validation metric it last reported.</summary>
    public double? LastMetric { get; init; }

    /// <summary>Why it stopped, failed or never started.</summary>
    public string? Reason { get; init; }

    /// <summary>The monitored metric of its final checkpoint on the test split, once it has ended and been tested.</summary>
    public double? TestMetric { get; init; }

    /// <summary>True once the sweep told it to stop and before it said it has ended.</summary>
    public bool Stopping { get; init; }

    public bool IsFinished => Status is TrialStatus.Completed or TrialStatus.Stopped or TrialStatus.Failed or TrialStatus.NotStarted;
}

/// <summary>
/// A stretch of one trial's training the sweep is waiting on: from one rung (or the start) to the next rung (or
/// the trial's end). <see cref="VirtualEnd"/> is when it would end if every slot trained at one step per unit of
/// time; reports are judged in that order, which is what makes a sweep's decisions independent of real timing.
/// </summary>
public sealed record SegmentRecord(long Sequence, int Trial, long FromSteps, long ToSteps, long VirtualStart)
{
    public long VirtualEnd => VirtualStart + (ToSteps - FromSteps);
}

/// <summary>A metric recorded at a rung.</summary>
public sealed record RungRecord(int Rung, int Trial, double Value);

public enum TrialReportKind
{
    /// <summary>The trial reached a rung, evaluated, and waits for the verdict.</summary>
    Rung,

    /// <summary>The trial's run ended (completed, stopped or failed).</summary>
    Ended,
}

/// <summary>
/// What a trial tells its sweep. <see cref="Metric"/> is the monitored validation metric at <see cref="Steps"/>;
/// an end report also carries the final checkpoint's test value of that metric (reported, never used to decide).
/// </summary>
public sealed record TrialReport(int Trial, TrialReportKind Kind, long Steps, double? Metric, int Rung = -1, TrialStatus EndStatus = TrialStatus.Completed, string? Reason = null, double? Test = null);

/// <summary>Something the sweep's host must do: start a trial, answer one at a rung, or ask one to stop.</summary>
public abstract record SweepAction(int Trial)
{
    public sealed record StartTrial(int Trial) : SweepAction(Trial);

    /// <summary>The answer to a trial waiting at a rung: go on, or stop for <see cref="Reason"/>.</summary>
    /// <summary>Whether a trial waiting at <see cref="Rung"/> (the rung its report named) goes on.</summary>
    public sealed record Verdict(int Trial, bool Continue, string? Reason, int Rung = -1) : SweepAction(Trial);

    /// <summary>Ask a running trial to finish its round and stop (the sweep is being stopped).</summary>
    public sealed record SignalStop(int Trial) : SweepAction(Trial);
}

/// <summary>Everything a sweep needs to carry on in a new orchestration execution; scalars only.</summary>
public sealed record SweepSnapshot(
    IReadOnlyList<TrialRecord> Trials,
    IReadOnlyList<SegmentRecord> InFlight,
    IReadOnlyList<RungRecord> Recorded,
    IReadOnlyList<TrialReport> Unprocessed,
    long NextSequence,
    int NextPending,
    long CommittedSteps,
    bool StopRequested);

/// <summary>
/// The sweep's state and every decision about its trials. It starts trials up to the concurrency limit, judges
/// each rung report with ASHA, starts the next trial when one ends or is stopped, keeps to the step budget, and
/// stops on request. Reports are judged in order of their segments' virtual end (then their issue order), not in
/// the order they arrive: a report that arrives early waits until every segment due before it has reported. So
/// the decisions, and with deterministic trials the whole sweep, are the same however the trials' real timing
/// falls (worker kills, retries, slow machines); the price is that a trial may wait at a rung for stragglers
/// issued before it. Pure: no clock, randomness or I/O.
/// </summary>
public sealed class SweepSession
{
    private readonly List<TrialRecord> _trials;
    private readonly List<SegmentRecord> _inFlight;
    private readonly List<RungRecord> _recorded;
    private readonly List<TrialReport> _unprocessed;

    public SweepSession(IReadOnlyList<TrialRecord> trials, IReadOnlyList<long> rungs, SweepSettings settings, MonitorMode mode, string metric, SweepSnapshot? snapshot = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(settings);
        Rungs = rungs;
        Settings = settings;
        Mode = mode;
        Metric = metric;
        _trials = [.. snapshot?.Trials ?? trials];
        _inFlight = [.. snapshot?.InFlight ?? []];
        _recorded = [.. snapshot?.Recorded ?? []];
        _unprocessed = [.. snapshot?.Unprocessed ?? []];
        NextSequence = snapshot?.NextSequence ?? 0;
        NextPending = snapshot?.NextPending ?? 0;
        CommittedSteps = snapshot?.CommittedSteps ?? 0;
        StopRequested = snapshot?.StopRequested ?? false;
    }

    public IReadOnlyList<long> Rungs { get; }
    public SweepSettings Settings { get; }
    public MonitorMode Mode { get; }
    public string Metric { get; }
    public IReadOnlyList<TrialRecord> Trials => _trials;
    public IReadOnlyList<SegmentRecord> InFlight => _inFlight;
    public IReadOnlyList<RungRecord> Recorded => _recorded;
    public long NextSequence { get; private set; }
    public int NextPending { get; private set; }

    /// <summary>Steps promised to segments issued so far: what the budget is held against.</summary>
    public long CommittedSteps { get; private set; }

    public bool StopRequested { get; private set; }

    /// <summary>Steps the trials have actually trained.</summary>
    public long StepsDone => _trials.Sum(trial => trial.StepsDone);

    public bool IsFinished => _inFlight.Count == 0 && _trials.All(trial => trial.IsFinished);

    public SweepStatus Status => !IsFinished ? SweepStatus.Running : StopRequested ? SweepStatus.Stopped : SweepStatus.Completed;

    /// <summary>The rungs a trial of <paramref name="plannedSteps"/> pauses at.</summary>
    public IReadOnlyList<long> RungsFor(long plannedSteps) => Rungs.Where(rung => rung < plannedSteps).ToArray();

    /// <summary>The trial with the best last metric (ties to the lower index), or null while none has one.</summary>
    public TrialRecord? Best => _trials
        .Where(trial => trial.LastMetric is { } value && double.IsFinite(value))
        .OrderBy(trial => Mode == MonitorMode.Max ? -trial.LastMetric!.Value : trial.LastMetric!.Value)
        .ThenBy(trial => trial.Index)
        .FirstOrDefault();

    public SweepSnapshot ToSnapshot() => new(_trials.ToArray(), _inFlight.ToArray(), _recorded.ToArray(), _unprocessed.ToArray(), NextSequence, NextPending, CommittedSteps, StopRequested);

    /// <summary>Fills every slot with a trial. Call once, when the sweep begins.</summary>
    public IReadOnlyList<SweepAction> Begin()
    {
        var actions = new List<SweepAction>();
        for (int slot = 0; slot < Settings.MaxConcurrent && NextPending < _trials.Count; slot++)
        {
            StartNext(0, actions);
        }

        return actions;
    }

    /// <summary>Takes a trial's report and judges every report that is now due.</summary>
    public IReadOnlyList<SweepAction> Receive(TrialReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var actions = new List<SweepAction>();
        if (report.Trial < 0 || report.Trial >= _trials.Count || IsStale(report))
        {
            return actions;
        }

        TrialRecord trial = _trials[report.Trial];
        bool inFlight = _inFlight.Any(segment => segment.Trial == report.Trial);
        if (!inFlight)
        {
            // A trial already told to stop (or any trial once the sweep is stopping) has no slot to give back:
            // its report changes no decision, so it is taken as it comes.
            Settle(trial, report, actions);
            return actions;
        }

        _unprocessed.Add(report);
        JudgeDue(actions);
        return actions;
    }

    /// <summary>Stops the sweep: nothing new starts, waiting trials are told to stop, running ones are asked to.</summary>
    public IReadOnlyList<SweepAction> RequestStop()
    {
        var actions = new List<SweepAction>();
        if (StopRequested)
        {
            return actions;
        }

        StopRequested = true;
        for (int index = NextPending; index < _trials.Count; index++)
        {
            _trials[index] = _trials[index] with { Status = TrialStatus.NotStarted, Reason = "the sweep was stopped before it started" };
        }

        NextPending = _trials.Count;
        foreach (SegmentRecord segment in _inFlight.ToArray())
        {
            _inFlight.Remove(segment);
            TrialRecord trial = _trials[segment.Trial] with { Stopping = true };
            _trials[segment.Trial] = trial;
            actions.Add(new SweepAction.SignalStop(segment.Trial));
        }

        foreach (TrialReport waiting in _unprocessed.ToArray())
        {
            _unprocessed.Remove(waiting);
            Settle(_trials[waiting.Trial], waiting, actions);
        }

        return actions;
    }

    private bool IsStale(TrialReport report)
    {
        TrialRecord trial = _trials[report.Trial];
        bool duplicate = _unprocessed.Any(waiting => waiting.Trial == report.Trial && waiting.Kind == report.Kind && waiting.Rung == report.Rung);
        return duplicate || trial.IsFinished || trial.Status == TrialStatus.Pending
            || (report.Kind == TrialReportKind.Rung && trial.LastRung is { } last && report.Rung <= last);
    }

    /// <summary>Judges reports in order of their segments' virtual end, as long as the next one due has arrived.</summary>
    private void JudgeDue(List<SweepAction> actions)
    {
        while (_inFlight.Count > 0)
        {
            SegmentRecord due = _inFlight.OrderBy(segment => segment.VirtualEnd).ThenBy(segment => segment.Sequence).First();
            TrialReport? report = _unprocessed.FirstOrDefault(waiting => waiting.Trial == due.Trial);
            if (report is null)
            {
                return;
            }

            _unprocessed.Remove(report);
            _inFlight.Remove(due);
            TrialRecord trial = _trials[due.Trial];
            if (report.Kind == TrialReportKind.Ended)
            {
                _trials[due.Trial] = Ended(trial, report);
                StartNext(due.VirtualEnd, actions);
                continue;
            }

            JudgeRung(trial, report, due, actions);
        }
    }

    private void JudgeRung(TrialRecord trial, TrialReport report, SegmentRecord due, List<SweepAction> actions)
    {
        IReadOnlyList<long> rungs = RungsFor(trial.PlannedSteps);
        int rung = Math.Clamp(report.Rung, 0, Math.Max(rungs.Count - 1, 0));
        double value = report.Metric ?? double.NaN;
        double[] recorded = _recorded.Where(record => record.Rung == rung).Select(record => record.Value).ToArray();
        RungJudgement judgement = Schedulers.TrialSchedulers.For(Settings.Scheduler.Kind)
            .Judge(Settings.Scheduler, new Schedulers.RungReached(recorded, value, Mode, rung, rungs.Count > 0 ? rungs[rung] : report.Steps, Metric));
        if (double.IsFinite(value))
        {
            _recorded.Add(new RungRecord(rung, trial.Index, value));
        }

        trial = trial with { StepsDone = report.Steps, LastRung = rung, LastMetric = report.Metric };
        string? reason = judgement.Reason;
        if (judgement.Continues)
        {
            long to = rung + 1 < rungs.Count ? rungs[rung + 1] : trial.PlannedSteps;
            long from = Math.Min(report.Steps, to);
            if (Fits(to - from))
            {
                Issue(trial.Index, from, to, due.VirtualEnd);
                _trials[trial.Index] = trial;
                actions.Add(new SweepAction.Verdict(trial.Index, true, null, report.Rung));
                return;
            }

            reason = BudgetSpent($"going on past rung {rung + 1}");
        }

        _trials[trial.Index] = trial with { Stopping = true, Reason = reason };
        actions.Add(new SweepAction.Verdict(trial.Index, false, reason, report.Rung));
        StartNext(due.VirtualEnd, actions);
    }

    /// <summary>A report from a trial that holds no slot: a stopped trial's end, or a rung reached after the sweep stopped.</summary>
    private void Settle(TrialRecord trial, TrialReport report, List<SweepAction> actions)
    {
        if (report.Kind == TrialReportKind.Ended)
        {
            _trials[trial.Index] = Ended(trial, report);
            return;
        }

        string reason = trial.Reason ?? "the sweep was stopped";
        _trials[trial.Index] = trial with { StepsDone = report.Steps, LastRung = report.Rung, LastMetric = report.Metric ?? trial.LastMetric, Stopping = true, Reason = reason };
        actions.Add(new SweepAction.Verdict(trial.Index, false, reason, report.Rung));
    }

    private static TrialRecord Ended(TrialRecord trial, TrialReport report) => trial with
    {
        Status = report.EndStatus is TrialStatus.Completed or TrialStatus.Stopped or TrialStatus.Failed ? report.EndStatus : TrialStatus.Failed,
        StepsDone = report.Steps,
        LastMetric = report.Metric ?? trial.LastMetric,
        TestMetric = report.Test,
        Reason = trial.Stopping && trial.Reason is not null ? trial.Reason : report.Reason,
        Stopping = false,
    };

    /// <summary>Starts the next pending trial that fits the budget on a slot that frees at <paramref name="virtualTime"/>.</summary>
    private void StartNext(long virtualTime, List<SweepAction> actions)
    {
        while (!StopRequested && NextPending < _trials.Count)
        {
            TrialRecord trial = _trials[NextPending++];
            IReadOnlyList<long> rungs = RungsFor(trial.PlannedSteps);
            long to = rungs.Count > 0 ? rungs[0] : trial.PlannedSteps;
            if (!Fits(to))
            {
                _trials[trial.Index] = trial with { Status = TrialStatus.NotStarted, Reason = BudgetSpent("its first segment") };
                continue;
            }

            _trials[trial.Index] = trial with { Status = TrialStatus.Running };
            Issue(trial.Index, 0, to, virtualTime);
            actions.Add(new SweepAction.StartTrial(trial.Index));
            return;
        }
    }

    private bool Fits(long steps) => Settings.BudgetSteps is not { } budget || CommittedSteps + steps <= budget;

    private string BudgetSpent(string what) => string.Create(CultureInfo.InvariantCulture,
        $"the sweep's budget of {Settings.BudgetSteps} steps has no room for {what} ({CommittedSteps} committed)");

    private void Issue(int trial, long from, long to, long virtualStart)
    {
        _inFlight.Add(new SegmentRecord(NextSequence++, trial, from, to, virtualStart));
        CommittedSteps += to - from;
    }
}
