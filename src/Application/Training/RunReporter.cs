using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// Projects a run's state into what the world sees: progress reports for the monitor (the orchestration's custom
/// status) and the outcome an execution returns.
/// </summary>
internal sealed class RunReporter(ITrainingMonitor monitor, PureTrainingService domain)
{
    public void Report(RunState run, TrainingPhase phase)
    {
        TrainingSession session = run.Session;
        TrainingPlan? plan = session.Plan;
        RoundMetrics? last = session.RecentRounds.Count > 0 ? session.RecentRounds[^1] : null;
        ProgressAnalysis? analysis = plan is null ? null : domain.AnalyzeProgress(session);
        monitor.Report(new TrainingProgress
        {
            RunId = session.RunId,
            Phase = phase,
            Round = session.RoundsDone,
            TotalRounds = plan is null ? 0 : domain.EstimateTotalRounds(session),
            Step = session.StepsDone,
            TotalSteps = plan?.TotalSteps ?? 0,
            Epoch = Math.Round(session.Epoch, 3),
            LastLoss = last?.MeanLoss,
            SamplesPerSecond = last?.SamplesPerSecond,
            LastEvaluation = EvaluationSummary.Of(session.LatestEvaluation),
            BestEvaluation = EvaluationSummary.Of(session.BestEvaluation),
            SecondsRemaining = analysis?.SecondsRemaining,
            Suggestions = analysis?.Suggestions ?? [],
            LearningRateScale = session.LearningRateScale,
            RollbacksUsed = session.RollbacksUsed,
            Execution = run.Execution,
        });
    }

    /// <summary>The phase a finished run reports last: its status.</summary>
    public static TrainingPhase FinalPhase(TrainingSession session) => session.Status switch
    {
        TrainingStatus.Completed => TrainingPhase.Completed,
        TrainingStatus.Stopped => TrainingPhase.Stopped,
        _ => TrainingPhase.Failed,
    };

    public static TrainingOutcome Outcome(RunState run)
    {
        TrainingSession session = run.Session;
        return new TrainingOutcome
        {
            RunId = session.RunId,
            Status = run.HandedOver && !session.IsFinished ? TrainingOutcomeStatus.ContinuedAsNew : session.Status switch
            {
                TrainingStatus.Completed => TrainingOutcomeStatus.Completed,
                TrainingStatus.Stopped => TrainingOutcomeStatus.Stopped,
                TrainingStatus.Failed => TrainingOutcomeStatus.Failed,
                _ => throw new InvalidOperationException($"Run {session.RunId} has neither ended nor been handed over ({session.Status})."),
            },
            StopReason = session.StopReason?.ToString(),
            FailureReason = session.FailureReason,
            StepsDone = session.StepsDone,
            Rounds = session.RoundsDone,
            SamplesSeen = session.SamplesSeen,
            TrainingSeconds = session.TrainingSeconds,
            FinalCheckpoint = session.LatestCheckpoint?.ToString(),
            BestCheckpoint = session.BestCheckpoint?.ToString(),
            FinalEvaluation = EvaluationSummary.Of(session.LatestEvaluation),
            BestEvaluation = EvaluationSummary.Of(session.BestEvaluation),
            RollbacksUsed = session.RollbacksUsed,
            LearningRateScale = session.LearningRateScale,
            Executions = run.Execution,
            TestEvaluation = EvaluationSummary.Of(session.TestEvaluation),
            BestTestEvaluation = EvaluationSummary.Of(session.BestTestEvaluation),
            TestFailure = run.TestFailure,
            MonitoredMetric = MonitorMetrics.NameOf(run.Specification.Evaluation.ResolvedMetric(run.Specification.Data.ResolvedTask())),
            StopDetail = run.StopDetail,
        };
    }
}
