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

    /// <summary>A test loss this many times the training loss, and growing, reads as overfitting.</summary>
    public const double OverfittingGapGrowth = 0.05;

    private const int TrendWindow = 8;

    public TrainingPlan Plan(Hyperparameters hyperparameters, int trainExamples)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainExamples, 1);

        long stepsPerEpoch = (trainExamples + hyperparameters.EffectiveBatchSize - 1) / hyperparameters.EffectiveBatchSize;
        long requested = hyperparameters.MaxSteps ?? hyperparameters.Epochs * stepsPerEpoch;
        // Every replica runs the same number of steps in a round, so the total is a multiple of the replica count.
        long totalSteps = Math.Max(requested / hyperparameters.Replicas, 1) * hyperparameters.Replicas;
        return new TrainingPlan(
            TotalSteps: totalSteps,
            StepsPerChunk: hyperparameters.StepsPerChunk,
            Replicas: hyperparameters.Replicas,
            StepsPerEpoch: stepsPerEpoch,
            BatchSize: hyperparameters.EffectiveBatchSize,
            TrainExamples: trainExamples,
            EvaluationIntervalSteps: hyperparameters.EvaluationIntervalSteps,
            CheckpointIntervalSteps: hyperparameters.CheckpointIntervalSteps);
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

    /// <summary>
    /// The divergence guard, before a round is accepted: a non-finite loss, or a mean loss above the divergence
    /// factor times the best round loss, rolls training back to the last good checkpoint with a smaller learning
    /// rate, at most the configured number of times; after that the run fails.
    /// </summary>
    public RoundVerdict JudgeRound(TrainingSession session, Hyperparameters hyperparameters, RoundMetrics candidate)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ArgumentNullException.ThrowIfNull(candidate);
        RequirePlan(session);
        string? problem = null;
        if (!double.IsFinite(candidate.MeanLoss) || !double.IsFinite(candidate.LastLoss))
        {
            problem = $"training loss became non-finite in round {candidate.Round}";
        }
        else if (hyperparameters.DivergenceFactor > 0 && session.BestTrainingLoss is { } best && candidate.MeanLoss > hyperparameters.DivergenceFactor * best)
        {
            problem = $"training loss {candidate.MeanLoss:G4} in round {candidate.Round} is over {hyperparameters.DivergenceFactor:G4} times the best {best:G4}";
        }

        if (problem is null)
        {
            return RoundVerdict.Accept;
        }

        if (session.RollbacksUsed >= hyperparameters.MaxRollbacks)
        {
            return new RoundVerdict(RoundVerdictKind.Fail, null, $"Diverged: {problem}, after {session.RollbacksUsed} rollback(s).");
        }

        double scale = session.LearningRateScale * hyperparameters.RollbackLearningRateFactor;
        return new RoundVerdict(RoundVerdictKind.RollBack, scale, $"Diverged: {problem}; rolling back with the learning rate scaled to {scale:G4}.");
    }

    /// <summary>
    /// After an accepted round: stop when the plan is done, when someone asked, or when the time budget is spent
    /// (always with a final evaluation); otherwise evaluate on schedule.
    /// </summary>
    public RoundDecision DecideAfterRound(TrainingSession session, Hyperparameters hyperparameters, double elapsedSeconds, bool stopRequested)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        TrainingPlan plan = RequirePlan(session);
        bool evaluatedHere = session.LatestEvaluation is not null && session.StepsAtLastEvaluation == session.StepsDone;
        StopReason? stop = session.StepsDone >= plan.TotalSteps ? StopReason.PlanCompleted
            : stopRequested ? StopReason.StopRequested
            : hyperparameters.TimeBudgetSeconds is { } budget && elapsedSeconds >= budget ? StopReason.TimeBudgetExhausted
            : null;
        bool evaluationDue = session.StepsDone - session.StepsAtLastEvaluation >= plan.EvaluationIntervalSteps;
        return new RoundDecision(!evaluatedHere && (stop is not null || evaluationDue), stop, null);
    }

    /// <summary>
    /// After an evaluation: fail on a non-finite loss; stop on the target or on exhausted patience; otherwise cut
    /// the learning rate when the monitored metric has plateaued for the plateau patience.
    /// </summary>
    public RoundDecision DecideAfterEvaluation(TrainingSession session, Hyperparameters hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        RequirePlan(session);
        EvaluationMetrics? latest = session.LatestEvaluation;
        if (latest is null)
        {
            return RoundDecision.Continue;
        }

        if (!double.IsFinite(latest.Loss))
        {
            return new RoundDecision(false, null, $"Evaluation loss became non-finite at step {latest.StepsDone}.");
        }

        double value = hyperparameters.MonitoredValue(latest.Loss, latest.Accuracy);
        if (hyperparameters.TargetMetric is { } target && (hyperparameters.MonitorMode == MonitorMode.Max ? value >= target : value <= target))
        {
            return new RoundDecision(false, StopReason.TargetReached, null);
        }

        if (hyperparameters.EarlyStoppingPatience > 0 && session.EvaluationsSinceImprovement >= hyperparameters.EarlyStoppingPatience)
        {
            return new RoundDecision(false, StopReason.EarlyStopping, null);
        }

        if (hyperparameters.PlateauPatience > 0 && session.EvaluationsSinceLearningRateChange >= hyperparameters.PlateauPatience)
        {
            double floor = hyperparameters.MinLearningRate / hyperparameters.LearningRate;
            double scale = Math.Max(session.LearningRateScale * hyperparameters.PlateauFactor, floor);
            if (scale < session.LearningRateScale && TrainingSession.IsValidLearningRateScale(scale))
            {
                return new RoundDecision(false, null, null, scale,
                    $"no improvement of the monitored {hyperparameters.MonitorMetric.ToString().ToLowerInvariant()} in {session.EvaluationsSinceLearningRateChange} evaluations");
            }
        }

        return RoundDecision.Continue;
    }

    /// <summary>
    /// Which held checkpoints to delete: everything except the newest, the best, and the last
    /// <see cref="Hyperparameters.KeepLastCheckpoints"/> taken at checkpoint intervals.
    /// </summary>
    public IReadOnlyList<CheckpointReference> PlanRetention(TrainingSession session, Hyperparameters hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        RequirePlan(session);
        var keep = new HashSet<CheckpointReference>();
        if (session.LatestCheckpoint is not null)
        {
            keep.Add(session.LatestCheckpoint);
        }

        if (session.BestCheckpoint is not null)
        {
            keep.Add(session.BestCheckpoint);
        }

        foreach (HeldCheckpoint held in session.HeldCheckpoints.Where(h => h.AtInterval).OrderByDescending(h => h.StepsDone).Take(hyperparameters.KeepLastCheckpoints))
        {
            keep.Add(held.Checkpoint);
        }

        return session.HeldCheckpoints.Select(held => held.Checkpoint).Where(checkpoint => !keep.Contains(checkpoint)).ToArray();
    }

    /// <summary>Reads the loss trend, the train/test gap and the divergence risk, estimates time left, and suggests.</summary>
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
                suggestions.Add("Training loss has levelled off; a lower learning rate, reduce-on-plateau or early stopping may help.");
                break;
            case LossTrend.Worsening:
                suggestions.Add("Training loss is rising; the learning rate may be too high.");
                break;
        }

        bool overfitting = IsOverfitting(session);
        if (overfitting)
        {
            suggestions.Add("Test loss is pulling away from training loss: the model is starting to overfit; consider weight decay or early stopping.");
        }

        bool divergenceRisk = rounds.Count > 0 && session.BestTrainingLoss is { } bestLoss
            && (!double.IsFinite(rounds[^1].LastLoss) || rounds[^1].LastLoss > 3 * bestLoss);
        if (divergenceRisk)
        {
            suggestions.Add("The last loss is far above the best seen: training may be diverging; lower the learning rate or clip gradients.");
        }

        return new ProgressAnalysis(trend, secondsRemaining, overfitting, divergenceRisk, suggestions);
    }

    // Overfitting shows as a test/train loss gap that widens across the last three evaluations.
    private static bool IsOverfitting(TrainingSession session)
    {
        IReadOnlyList<EvaluationMetrics> evaluations = session.RecentEvaluations;
        if (evaluations.Count < 3)
        {
            return false;
        }

        double[] gaps = evaluations.TakeLast(3).Select(evaluation => evaluation.Loss - TrainingLossAt(session, evaluation.StepsDone)).ToArray();
        return gaps.All(double.IsFinite) && gaps[1] > gaps[0] + OverfittingGapGrowth && gaps[2] > gaps[1] + OverfittingGapGrowth;
    }

    private static double TrainingLossAt(TrainingSession session, long steps) =>
        session.RecentRounds.LastOrDefault(round => round.StepsDone <= steps)?.MeanLoss ?? double.NaN;

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
