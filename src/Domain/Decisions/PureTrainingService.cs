using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Decisions;

/// <summary>
/// Makes every training decision and executes none. It is deterministic (same inputs, same answer) and does no I/O,
/// which is what lets a replayed durable orchestration call it between chunks.
/// </summary>
public sealed class PureTrainingService
{
    /// <summary>Relative change in mean loss between the two halves of the window below which training has stalled.</summary>
    public const double PlateauThreshold = 0.01;

    private const int TrendWindow = 8;

    public TrainingPlan Plan(Hyperparameters hyperparameters, int trainExamples)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainExamples, 1);

        long stepsPerEpoch = (trainExamples + hyperparameters.BatchSize - 1) / hyperparameters.BatchSize;
        long requested = hyperparameters.MaxSteps ?? hyperparameters.Epochs * stepsPerEpoch;
        // Every replica runs the same number of steps in a round, so the total is a multiple of the replica count.
        long totalSteps = Math.Max(requested / hyperparameters.Replicas, 1) * hyperparameters.Replicas;
        return new TrainingPlan(
            TotalSteps: totalSteps,
            StepsPerChunk: hyperparameters.StepsPerChunk,
            Replicas: hyperparameters.Replicas,
            StepsPerEpoch: stepsPerEpoch,
            BatchSize: hyperparameters.BatchSize,
            TrainExamples: trainExamples,
            EvaluationIntervalSteps: hyperparameters.EvaluationIntervalSteps);
    }

    /// <summary>The next round's size, never taking the run past its planned total.</summary>
    public NextRound PlanNextRound(TrainingSession session)
    {
        TrainingPlan plan = RequirePlan(session);
        long round = session.RoundsDone + 1;
        if (session.IsFinished)
        {
            return NextRound.None(round);
        }

        long remainingPerReplica = (plan.TotalSteps - session.StepsDone) / plan.Replicas;
        return new NextRound(round, (int)Math.Clamp(remainingPerReplica, 0, plan.StepsPerChunk));
    }

    /// <summary>After a round: fail on a non-finite loss, evaluate on schedule and at the end, stop when the plan is done.</summary>
    public RoundDecision DecideAfterRound(TrainingSession session)
    {
        TrainingPlan plan = RequirePlan(session);
        RoundMetrics? last = session.RecentRounds.Count > 0 ? session.RecentRounds[^1] : null;
        if (last is not null && (!double.IsFinite(last.MeanLoss) || !double.IsFinite(last.LastLoss)))
        {
            return new RoundDecision(false, null, $"Training loss became non-finite in round {last.Round}.");
        }

        bool planDone = session.StepsDone >= plan.TotalSteps;
        bool evaluationDue = session.StepsDone - session.StepsAtLastEvaluation >= plan.EvaluationIntervalSteps;
        return new RoundDecision(planDone || evaluationDue, planDone ? StopReason.PlanCompleted : null, null);
    }

    /// <summary>After an evaluation: stop early when the target accuracy is reached, or when the plan is done.</summary>
    public RoundDecision DecideAfterEvaluation(TrainingSession session, Hyperparameters hyperparameters)
    {
        TrainingPlan plan = RequirePlan(session);
        EvaluationMetrics? latest = session.LatestEvaluation;
        if (latest is not null && !double.IsFinite(latest.Loss))
        {
            return new RoundDecision(false, null, $"Evaluation loss became non-finite at step {latest.StepsDone}.");
        }

        if (latest is not null && hyperparameters.TargetAccuracy is { } target && latest.Accuracy >= target)
        {
            return new RoundDecision(false, StopReason.TargetReached, null);
        }

        return session.StepsDone >= plan.TotalSteps
            ? new RoundDecision(false, StopReason.PlanCompleted, null)
            : RoundDecision.Continue;
    }

    /// <summary>Reads the loss trend over recent rounds, estimates time left from measured throughput, and suggests.</summary>
    public ProgressAnalysis AnalyzeProgress(TrainingSession session)
    {
        TrainingPlan plan = RequirePlan(session);
        var suggestions = new List<string>();

        double? secondsRemaining = null;
        if (session.TrainingSeconds > 0 && session.StepsDone > 0)
        {
            double secondsPerStep = session.TrainingSeconds / session.StepsDone;
            secondsRemaining = Math.Max(0, plan.TotalSteps - session.StepsDone) * secondsPerStep;
        }

        IReadOnlyList<RoundMetrics> rounds = session.RecentRounds;
        LossTrend trend = LossTrend.NotEnoughData;
        if (rounds.Count >= 4)
        {
            int window = Math.Min(TrendWindow, rounds.Count);
            int half = window / 2;
            double earlier = Mean(rounds, rounds.Count - window, half);
            double later = Mean(rounds, rounds.Count - half, half);
            double change = (earlier - later) / Math.Max(Math.Abs(earlier), 1e-12);
            trend = change > PlateauThreshold ? LossTrend.Improving
                : change < -PlateauThreshold ? LossTrend.Worsening
                : LossTrend.Plateau;
        }

        switch (trend)
        {
            case LossTrend.Plateau:
                suggestions.Add("Training loss has levelled off; a lower learning rate or early stopping may help.");
                break;
            case LossTrend.Worsening:
                suggestions.Add("Training loss is rising; the learning rate may be too high.");
                break;
        }

        if (session.BestEvaluation is { } best && session.LatestEvaluation is { } latest && latest.Accuracy < best.Accuracy - 0.02)
        {
            suggestions.Add($"Test accuracy fell from its best {best.Accuracy:P1} to {latest.Accuracy:P1}; the model may be overfitting.");
        }

        return new ProgressAnalysis(trend, secondsRemaining, suggestions);
    }

    private static double Mean(IReadOnlyList<RoundMetrics> rounds, int start, int count)
    {
        double sum = 0;
        for (int i = start; i < start + count; i++)
        {
            sum += rounds[i].MeanLoss;
        }

        return sum / count;
    }

    private static TrainingPlan RequirePlan(TrainingSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Plan ?? throw new InvalidOperationException($"Run {session.RunId} has not been started with a plan.");
    }
}
