using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Sweeps;

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
        TrialRecord[] recorded = [.. session.Trials];
        if (input.Snapshot is null)
        {
            await CarryOutAsync(input, session, session.Begin());
            recorded = await RecordAsync(input, session, recorded);
        }

        for (int signals = 0; !session.IsFinished; signals++)
        {
            if (signals >= signalsPerExecution)
            {
                host.ContinueAsNew(input with { Snapshot = session.ToSnapshot(), Execution = input.Execution + 1 });
                return Outcome(input, session) with { Status = SweepOutcome.ContinuedAsNew };
            }

            SweepSignal signal = await host.NextSignalAsync();
            IReadOnlyList<SweepAction> actions = signal.StopRequested ? session.RequestStop()
                : signal.Report is { } report ? session.Receive(report)
                : [];
            await CarryOutAsync(input, session, actions);
            recorded = await RecordAsync(input, session, recorded);
        }

        return Outcome(input, session);
    }

    /// <summary>Carries out the session's actions; a trial that cannot be started ends as failed, which may start another.</summary>
    private async Task CarryOutAsync(SweepInput input, SweepSession session, IReadOnlyList<SweepAction> actions)
    {
        while (actions.Count > 0)
        {
            var starts = new List<(int Trial, Task<StartTrialResult> Started)>();
            foreach (SweepAction action in actions)
            {
                string runId = SweepRecord.TrialRunId(input.SweepId, action.Trial);
                switch (action)
                {
                    case SweepAction.StartTrial start:
                        TrialRecord trial = session.Trials[start.Trial];
                        starts.Add((start.Trial, host.StartTrialAsync(new StartTrialCommand(input.SweepId, start.Trial, trial.Draws, session.RungsFor(trial.PlannedSteps)))));
                        break;
                    case SweepAction.Verdict verdict:
                        host.SendVerdict(runId, new RungVerdict(verdict.Continue, verdict.Reason));
                        break;
                    case SweepAction.SignalStop:
                        host.SignalStop(runId);
                        break;
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
    private async Task<TrialRecord[]> RecordAsync(SweepInput input, SweepSession session, TrialRecord[] recorded)
    {
        TrialRecord[] changed = session.Trials.Where((trial, index) => !Same(trial, recorded[index])).ToArray();
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
        && Nullable.Equals(left.LastMetric, right.LastMetric) && left.Reason == right.Reason && left.Stopping == right.Stopping;

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
