using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Sweeps;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>The events a sweep and its trials exchange; their arrival is recorded in history, so replay sees the same.</summary>
public static class SweepEvents
{
    /// <summary>From a trial to its sweep: a rung reached, or the run's end.</summary>
    public const string TrialReport = "trial-report";

    /// <summary>From a sweep to a trial waiting at a rung.</summary>
    public const string RungVerdict = "rung-verdict";

    /// <summary>To a sweep (from its stop route), or from a sweep to a running trial.</summary>
    public const string Stop = ExternalEventControl.StopEvent;
}

/// <summary>A trial's line to its sweep as events: report, then wait for the verdict (or the run's own stop event).</summary>
public sealed class EventSweepChannel(TaskOrchestrationContext context, ExternalEventControl control) : ISweepChannel
{
    /// <remarks>
    /// A verdict for another rung is a copy of an earlier one, delivered again (a storage fault can make the engine
    /// send a sweep's events twice): it is passed over, or the trial would go on, or stop, on an old answer.
    /// </remarks>
    public async Task<RungVerdict> ReportRungAsync(TrialLink trial, TrialReport report)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(report);
        Task<RungVerdict> verdict = context.WaitForExternalEvent<RungVerdict>(SweepEvents.RungVerdict);
        context.SendEvent(trial.SweepId, SweepEvents.TrialReport, report);
        while (true)
        {
            Task first = await Task.WhenAny(verdict, control.StopSignal);
            if (first != verdict)
            {
                return new RungVerdict(false, "the run was asked to stop");
            }

            RungVerdict answer = await verdict;
            if (answer.Rung is null || answer.Rung == report.Rung)
            {
                return answer;
            }

            verdict = context.WaitForExternalEvent<RungVerdict>(SweepEvents.RungVerdict);
        }
    }

    public void ReportEnded(TrialLink trial, TrialReport report)
    {
        ArgumentNullException.ThrowIfNull(trial);
        context.SendEvent(trial.SweepId, SweepEvents.TrialReport, report);
    }
}

/// <summary>
/// The sweep loop's host in a durable orchestration: activities for I/O, events to and from trials, custom status,
/// continue-as-new. The stop wait is made once and the report wait is renewed only once it has delivered, so no
/// event is ever taken by a wait nobody reads.
/// </summary>
public sealed class DurableSweepHost(TaskOrchestrationContext context, TaskOptions activityOptions) : ISweepHost
{
    private readonly Task<JsonElement?> _stop = context.WaitForExternalEvent<JsonElement?>(SweepEvents.Stop);
    private Task<TrialReport>? _report;
    private Task? _check;
    private bool _stopDelivered;

    public Task<StartTrialResult> StartTrialAsync(StartTrialCommand command) =>
        context.CallActivityAsync<StartTrialResult>(DurableTaskNames.StartTrial, command, activityOptions);

    public Task<IReadOnlyList<LostTrial>> FindLostTrialsAsync(FindLostTrialsCommand command) =>
        context.CallActivityAsync<IReadOnlyList<LostTrial>>(DurableTaskNames.FindLostTrials, command, activityOptions);

    public void SendVerdict(string trialRunId, RungVerdict verdict) => context.SendEvent(trialRunId, SweepEvents.RungVerdict, verdict);

    public void SignalStop(string trialRunId) => context.SendEvent(trialRunId, SweepEvents.Stop, new { reason = "the sweep was stopped" });

    /// <summary>
    /// Waits for a report or the stop, or for the check timer, whichever comes first. One timer is outstanding at a
    /// time and kept across signals until it fires, so the sweep checks its trials once per period, however busy,
    /// and history holds one timer per period rather than one per signal.
    /// </summary>
    public async Task<SweepSignal> NextSignalAsync(TimeSpan checkPeriod)
    {
        _report ??= context.WaitForExternalEvent<TrialReport>(SweepEvents.TrialReport);
        _check ??= context.CreateTimer(context.CurrentUtcDateTime.Add(checkPeriod), CancellationToken.None);
        Task signal = _stopDelivered ? _report : Task.WhenAny(_report, _stop);
        await Task.WhenAny(signal, _check);
        if (TakeArrivedSignal() is { } arrived)
        {
            return arrived;
        }

        // Only the timer fired: the next wait starts the next period.
        _check = null;
        return new SweepSignal(null, CheckDue: true);
    }

    /// <summary>The stop first (once), then a report, whichever has arrived; null when neither has.</summary>
    public SweepSignal? TakeArrivedSignal()
    {
        _report ??= context.WaitForExternalEvent<TrialReport>(SweepEvents.TrialReport);
        if (!_stopDelivered && _stop.IsCompleted)
        {
            _stopDelivered = true;
            return new SweepSignal(null, StopRequested: true);
        }

        if (!_report.IsCompleted)
        {
            return null;
        }

        TrialReport report = _report.Result;
        _report = null;
        return new SweepSignal(report);
    }

    public Task RecordAsync(SweepRecordUpdate update) =>
        context.CallActivityAsync<int>(DurableTaskNames.RecordSweep, update, activityOptions);

    public void Report(SweepProgress progress) => context.SetCustomStatus(progress);

    public void ContinueAsNew(SweepInput next) => context.ContinueAsNew(next, preserveUnprocessedEvents: true);
}
