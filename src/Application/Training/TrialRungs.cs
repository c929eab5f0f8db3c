using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// The protocol between a run that is a trial of a sweep and its sweep: at each rung the trial reports its
/// validation metric and waits for the verdict; when it ends it says how. Runs that are not trials pass through.
/// </summary>
internal sealed class TrialRungs(ISweepChannel? sweep, ITrainingControl control, RunEvaluations evaluations, RunHousekeeping housekeeping, RunReporter reporter)
{
    /// <summary>
    /// At a rung the trial has reached: validates there unless the last round already did, reports the metric and
    /// waits for the verdict. Returns how the run ends when the validation or the verdict ends it, else null.
    /// </summary>
    public async Task<RunEnd?> PassIfDueAsync(RunState run)
    {
        TrainingSession session = run.Session;
        if (run.Input.Trial is not { } trial || sweep is null || run.NextRung is not { } rung || session.StepsDone < rung)
        {
            return null;
        }

        if (session.LatestEvaluation?.StepsDone != session.StepsDone)
        {
            switch (await evaluations.ValidateAsync(run))
            {
                // The run's own rules end it here (target, early stopping): that is its end, not a rung.
                case ValidationVerdict.Ends ends:
                    return ends.End;

                // The rung's checkpoint was corrupt and training fell back: the rung is reached again later.
                case ValidationVerdict.Recovered:
                    return null;
            }
        }

        await housekeeping.JournalAsync(run);
        reporter.Report(run, TrainingPhase.AtRung);
        RungVerdict verdict = await sweep.ReportRungAsync(trial, new TrialReport(trial.Trial, TrialReportKind.Rung, session.StepsDone, MonitoredValue(run), Rung: run.RungsReported));
        run.RungsReported++;
        return verdict.Continue ? null
            : control.StopRequested ? RunEnd.For(StopReason.StopRequested)
            : new RunEnd.Stopped(StopReason.SchedulerStopped, verdict.Reason);
    }

    /// <summary>A trial tells its sweep how it ended: the status, the steps, its last validation metric and why.</summary>
    public void ReportEnded(RunState run)
    {
        if (run.Input.Trial is not { } trial || sweep is null)
        {
            return;
        }

        TrainingSession session = run.Session;
        TrialStatus status = session.Status switch
        {
            TrainingStatus.Completed => TrialStatus.Completed,
            TrainingStatus.Stopped => TrialStatus.Stopped,
            _ => TrialStatus.Failed,
        };
        string? reason = session.FailureReason ?? run.StopDetail ?? (status == TrialStatus.Completed ? null : session.StopReason?.ToString());
        double? test = session.TestEvaluation is { } tested ? run.Specification.Evaluation.MonitoredValue(tested) : null;
        sweep.ReportEnded(trial, new TrialReport(trial.Trial, TrialReportKind.Ended, session.StepsDone, MonitoredValue(run), EndStatus: status, Reason: reason, Test: test));
    }

    private static double? MonitoredValue(RunState run) =>
        run.Session.LatestEvaluation is { } latest ? run.Specification.Evaluation.MonitoredValue(latest) : null;
}
