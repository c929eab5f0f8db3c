using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Sweeps;

/// <summary>
/// The sweep loop: start the first trials, then take signals one at a time (a trial at a rung, a trial's end, a
/// stop) and carry out what the <see cref="SweepSession"/> decides (start trials, answer them, ask them to stop),
/// writing the trials that changed to the status document after each. Every so many signals it hands over to a
/// fresh execution with the session's snapshot, so its history stays small whatever the number of trials. Like
/// the training loop, it awaits only its host, so a durable engine can replay it.
/// </summary>
public sealed class SweepOrchestrator(ISweepHost host, int signalsPerExecution = SweepOrchestrator.DefaultSignalsPerExecution)
{
    public const int DefaultSignalsPerExecution = 100;

    public async Task<SweepOutcome> RunAsync(SweepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var session = new SweepSession(input.Trials, input.Rungs, input.Settings, input.Mode, input.Metric, input.Snapshot);
        TrialRecord[] recorded = [.. input.Trials];
        if (input.Snapshot is null)
        {
            await CarryOutAsync(input, session, session.Begin());
        }
        else
        {
            // The previous execution ended without waiting: start what it left to start, and write every trial once.
            await CarryOutAsync(input, session, [.. input.DeferredStarts.Select(trial => new SweepAction.StartTrial(trial))]);
            recorded = [];
        }

        recorded = await RecordAsync(input, session, recorded);
        for (int signals = 0; !session.IsFinished; signals++)
        {
            if (signals >= signalsPerExecution)
            {
                return HandOver(input, session);
            }

            SweepSignal signal = await host.NextSignalAsync(TimeSpan.FromSeconds(input.Settings.TrialCheckSeconds));
            IReadOnlyList<SweepAction> actions = signal.CheckDue ? await LostTrialsAsync(input, session) : Take(session, signal);
            await CarryOutAsync(input, session, actions);
            // A check that found every trial alive changed nothing: it writes no status.
            recorded = await RecordAsync(input, session, recorded, onlyIfChanged: signal.CheckDue);
        }

        return Outcome(input, session);
    }

    /// <summary>
    /// Once per check period: a running trial whose run ended without reporting (terminated or purged by hand) would
    /// hold its slot for ever, so it ends as failed, as if it had reported so, and its slot goes to the next trial.
    /// </summary>
    private async Task<IReadOnlyList<SweepAction>> LostTrialsAsync(SweepInput input, SweepSession session)
    {
        int[] running = [.. session.Trials.Where(trial => trial.Status == TrialStatus.Running).Select(trial => trial.Index)];
        if (running.Length == 0)
        {
            return [];
        }

        var actions = new List<SweepAction>();
        foreach (LostTrial lost in await host.FindLostTrialsAsync(new FindLostTrialsCommand(input.SweepId, running)))
        {
            TrialRecord trial = session.Trials[lost.Trial];
            actions.AddRange(session.Receive(new TrialReport(lost.Trial, TrialReportKind.Ended, trial.StepsDone, null, EndStatus: TrialStatus.Failed, Reason: lost.Reason)));
        }

        return actions;
    }

    private static IReadOnlyList<SweepAction> Take(SweepSession session, SweepSignal signal) =>
        signal.StopRequested ? session.RequestStop()
        : signal.Report is { } report ? session.Receive(report)
        : [];

    /// <summary>
    /// Continues as new. Everything that has already arrived is read first, without awaiting anything (answers and
    /// stop signals go out at once; trial starts wait for the next execution), because an event an execution
    /// received but did not read would have to be carried over, which not every backend does.
    /// </summary>
    private SweepOutcome HandOver(SweepInput input, SweepSession session)
    {
        var deferred = new List<int>();
        while (host.TakeArrivedSignal() is { } arrived)
        {
            foreach (SweepAction action in Take(session, arrived))
            {
                if (action is SweepAction.StartTrial start)
                {
                    deferred.Add(start.Trial);
                }
                else
                {
                    Send(input, action);
                }
            }
        }

        host.ContinueAsNew(input with { Snapshot = session.ToSnapshot(), DeferredStarts = deferred, Execution = input.Execution + 1 });
        return Outcome(input, session) with { Status = SweepOutcome.ContinuedAsNew };
    }

    private void Send(SweepInput input, SweepAction action)
    {
        RunId runId = SweepRecord.TrialRunId(input.SweepId, action.Trial);
        switch (action)
        {
            case SweepAction.Verdict verdict:
                host.SendVerdict(runId.Value, new RungVerdict(verdict.Continue, verdict.Reason, verdict.Rung));
                break;
            case SweepAction.SignalStop:
                host.SignalStop(runId.Value);
                break;
        }
    }

    /// <summary>Carries out the session's actions; a trial that cannot be started ends as failed, which may start another.</summary>
    private async Task CarryOutAsync(SweepInput input, SweepSession session, IReadOnlyList<SweepAction> actions)
    {
        while (actions.Count > 0)
        {
            var starts = new List<(int Trial, Task<StartTrialResult> Started)>();
            foreach (SweepAction action in actions)
            {
                if (action is SweepAction.StartTrial start)
                {
                    TrialRecord trial = session.Trials[start.Trial];
                    starts.Add((start.Trial, host.StartTrialAsync(new StartTrialCommand(input.SweepId, start.Trial, trial.Draws, session.RungsFor(trial.PlannedSteps)))));
                }
                else
                {
                    Send(input, action);
                }
            }

            var next = new List<SweepAction>();
            foreach ((int trial, Task<StartTrialResult> started) in starts)
            {
                StartTrialResult result = await started;
                if (!result.Started)
                {
                    next.AddRange(session.Receive(new TrialReport(trial, TrialReportKind.Ended, 0, null, EndStatus: TrialStatus.Failed, Reason: result.Error ?? "could not be started")));
                }
            }

            actions = next;
        }
    }

    /// <summary>Writes the trials that changed since <paramref name="recorded"/>, with the header's figures; returns the trials as now recorded.</summary>
    private async Task<TrialRecord[]> RecordAsync(SweepInput input, SweepSession session, TrialRecord[] recorded, bool onlyIfChanged = false)
    {
        TrialRecord[] changed = session.Trials.Where((trial, index) => index >= recorded.Length || !Same(trial, recorded[index])).ToArray();
        if (onlyIfChanged && changed.Length == 0)
        {
            return recorded;
        }

        TrialRecord? best = session.Best;
        host.Report(new SweepProgress(
            input.SweepId,
            session.Status.ToString(),
            session.Trials.Count,
            session.Trials.Count(trial => trial.Status == TrialStatus.Running),
            session.Trials.Count(trial => trial.IsFinished),
            session.StepsDone,
            best?.Index,
            best?.LastMetric,
            input.Execution));
        await host.RecordAsync(new SweepRecordUpdate(input.SweepId, session.Status.ToString(), session.StepsDone, session.CommittedSteps, best?.Index, changed));
        return [.. session.Trials];
    }

    private static bool Same(TrialRecord left, TrialRecord right) =>
        left.Status == right.Status && left.StepsDone == right.StepsDone && left.LastRung == right.LastRung
        && Nullable.Equals(left.LastMetric, right.LastMetric) && Nullable.Equals(left.TestMetric, right.TestMetric)
        && left.Reason == right.Reason && left.Stopping == right.Stopping;

    private static SweepOutcome Outcome(SweepInput input, SweepSession session)
    {
        TrialRecord? best = session.Best;
        int Count(TrialStatus status) => session.Trials.Count(trial => trial.Status == status);
        return new SweepOutcome(
            input.SweepId,
            session.Status.ToString(),
            session.Trials.Count,
            Count(TrialStatus.Completed),
            Count(TrialStatus.Stopped),
            Count(TrialStatus.Failed),
            Count(TrialStatus.NotStarted),
            session.StepsDone,
            best?.Index,
            best is null ? null : SweepRecord.TrialRunId(input.SweepId, best.Index),
            best?.LastMetric,
            input.Metric);
    }
}
