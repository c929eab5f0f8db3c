using DurableTrainer.Domain.Specification;
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

    /// <summary>
    /// Fixes the run's length from the dataset size: total steps over all replicas, cut into rounds of
    /// <paramref name="stepsPerChunk"/> steps per replica, or, with <paramref name="targetChunkSeconds"/>, a first round
    /// of that many and then rounds sized to last about that long at the measured rate.
    /// </summary>
    public TrainingPlan Plan(TrainingSpecification specification, int trainExamples, int stepsPerChunk, double? targetChunkSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(specification);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainExamples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerChunk, 1);
        if (targetChunkSeconds is { } target && !(double.IsFinite(target) && target > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(targetChunkSeconds), target, "A target chunk time must be a positive number of seconds.");
        }

        TrainingSection training = specification.Training;
        int replicas = specification.Replicas.Count;
        long stepsPerEpoch = (trainExamples + training.EffectiveBatchSize() - 1) / training.EffectiveBatchSize();
        long requested = training.MaxSteps ?? training.Epochs * stepsPerEpoch;
        // Every replica runs the same number of steps in a round, so the total is a multiple of the replica count.
        long totalSteps = Math.Max(requested / replicas, 1) * replicas;
        return new TrainingPlan(
            TotalSteps: totalSteps,
            StepsPerChunk: stepsPerChunk,
            Replicas: replicas,
            StepsPerEpoch: stepsPerEpoch,
            BatchSize: training.EffectiveBatchSize(),
            TrainExamples: trainExamples,
            EvaluationIntervalSteps: specification.Evaluation.IntervalSteps,
            CheckpointIntervalSteps: specification.Checkpoints.IntervalSteps,
            TargetChunkSeconds: targetChunkSeconds);
    }

    /// <summary>
    /// The next round's size, never taking the run past its planned total, nor past <paramref name="pauseAtStep"/>
    /// when given (a sweep's rung: the round ends there, or at the first step past it every replica can reach).
    /// With a target chunk time, a round after the first lasts about that long at the last round's rate and ends
    /// no later than the next evaluation, so validation still falls on the interval's steps.
    /// </summary>
    public NextRound PlanNextRound(TrainingSession session, long? pauseAtStep = null)
    {
        TrainingPlan plan = RequirePlan(session);
        long round = session.RoundsDone + 1;
        if (session.IsFinished)
        {
            return NextRound.None(round);
        }

        long remainingPerReplica = (plan.TotalSteps - session.StepsDone) / plan.Replicas;
        long chunk = plan.StepsPerChunk;
        if (plan.TargetChunkSeconds is { } target)
        {
            chunk = TimedChunk(plan, session, target);
            long intervalEnd = IntervalEnd(plan, session);
            if (intervalEnd > session.StepsDone)
            {
                chunk = Math.Min(chunk, StepsPerReplicaToReach(plan, session, intervalEnd));
            }
        }

        if (pauseAtStep is { } pause && pause > session.StepsDone)
        {
            chunk = Math.Min(chunk, StepsPerReplicaToReach(plan, session, pause));
        }

        return new NextRound(round, (int)Math.Clamp(remainingPerReplica, 0, chunk));
    }

    /// <summary>
    /// How many rounds the run takes in all: the plan's count for a fixed chunk length; with a target chunk time, the
    /// rounds done plus those left at the measured rate (none longer than an evaluation interval), which moves as the
    /// rate does.
    /// </summary>
    public long EstimateTotalRounds(TrainingSession session)
    {
        TrainingPlan plan = RequirePlan(session);
        if (plan.TargetChunkSeconds is not { } target)
        {
            return plan.Rounds;
        }

        if (session.IsFinished || session.StepsDone >= plan.TotalSteps)
        {
            return session.RoundsDone;
        }

        long stepsPerRound = Math.Min(TimedChunk(plan, session, target) * plan.Replicas, plan.EvaluationIntervalSteps);
        long remaining = plan.TotalSteps - session.StepsDone;
        return session.RoundsDone + ((remaining + stepsPerRound - 1) / stepsPerRound);
    }

    /// <summary>Steps per replica that last about the target time at the last round's rate; the plan's chunk until a round has been measured.</summary>
    private static long TimedChunk(TrainingPlan plan, TrainingSession session, double targetSeconds)
    {
        if (session.RecentRounds.Count > 0 && session.RecentRounds[^1] is { Seconds: > 0, Samples: > 0 } last)
        {
            double stepsPerSecondPerReplica = (double)last.Samples / plan.BatchSize / plan.Replicas / last.Seconds;
            return (long)Math.Clamp(Math.Round(targetSeconds * stepsPerSecondPerReplica), 1, TrainingPlan.MaxStepsPerChunk);
        }

        return plan.StepsPerChunk;
    }

    /// <summary>
    /// The step at which the current evaluation interval ends: validation is due there. One definition for planning a
    /// round, foreseeing its evaluations and deciding after it, which must agree.
    /// </summary>
    private static long IntervalEnd(TrainingPlan plan, TrainingSession session) =>
        session.StepsAtLastEvaluation + plan.EvaluationIntervalSteps;

    /// <summary>The steps each replica runs for the run to reach <paramref name="step"/>, or the first step past it every replica can reach.</summary>
    private static long StepsPerReplicaToReach(TrainingPlan plan, TrainingSession session, long step) =>
        (step - session.StepsDone + plan.Replicas - 1) / plan.Replicas;

    /// <summary>
    /// The evaluations <see cref="DecideAfterRound"/> and the end of the run will ask for after <paramref name="next"/>,
    /// if it is accepted and nothing outside the plan (a stop request, the time budget) intervenes: validation when
    /// the evaluation interval or the plan ends there or it reaches <paramref name="pauseAtStep"/> (a sweep's rung),
    /// and the test when the plan ends there.
    /// </summary>
    public ForeseenEvaluations ForeseeEvaluations(TrainingSession session, NextRound next, long? pauseAtStep = null)
    {
        TrainingPlan plan = RequirePlan(session);
        ArgumentNullException.ThrowIfNull(next);
        if (next.IsNone)
        {
            return ForeseenEvaluations.None;
        }

        long stepsAfter = session.StepsDone + ((long)next.StepsPerReplica * plan.Replicas);
        bool endsPlan = stepsAfter >= plan.TotalSteps;
        bool intervalEnds = stepsAfter >= IntervalEnd(plan, session);
        bool reachesPause = pauseAtStep is { } pause && stepsAfter >= pause;
        return new ForeseenEvaluations(endsPlan || intervalEnds || reachesPause, endsPlan);
    }

    /// <summary>
    /// The divergence guard, before a round is accepted: a non-finite loss, or a mean loss above the divergence
    /// factor times the best round loss, rolls training back to the last good checkpoint with a smaller learning
    /// rate, at most the configured number of times; after that the run fails.
    /// </summary>
    public RoundVerdict JudgeRound(TrainingSession session, TrainingSpecification specification, RoundMetrics candidate)
    {
        ArgumentNullException.ThrowIfNull(specification);
        StoppingSection stopping = specification.Stopping;
        ArgumentNullException.ThrowIfNull(candidate);
        RequirePlan(session);
        string? problem = null;
        if (!double.IsFinite(candidate.MeanLoss) || !double.IsFinite(candidate.LastLoss))
        {
            problem = $"training loss became non-finite in round {candidate.Round}";
        }
        else if (stopping.DivergenceFactor > 0 && session.BestTrainingLoss is { } best && candidate.MeanLoss > stopping.DivergenceFactor * best)
        {
            problem = $"training loss {candidate.MeanLoss:G4} in round {candidate.Round} is over {stopping.DivergenceFactor:G4} times the best {best:G4}";
        }

        if (problem is null)
        {
            return RoundVerdict.Accepted;
        }

        if (session.RollbacksUsed >= stopping.MaxRollbacks)
        {
            return new RoundVerdict.Fail($"Diverged: {problem}, after {session.RollbacksUsed} rollback(s).");
        }

        double scale = session.LearningRateScale * stopping.RollbackLearningRateFactor;
        return new RoundVerdict.RollBack(scale, $"Diverged: {problem}; rolling back with the learning rate scaled to {scale:G4}.");
    }

    /// <summary>
    /// After an accepted round: stop when the plan is done, when someone asked, or when the time budget is spent
    /// (always with a final evaluation); otherwise evaluate on schedule.
    /// </summary>
    public RoundDecision DecideAfterRound(TrainingSession session, TrainingSpecification specification, double elapsedSeconds, bool stopRequested)
    {
        ArgumentNullException.ThrowIfNull(specification);
        TrainingPlan plan = RequirePlan(session);
        bool evaluatedHere = session.LatestEvaluation is not null && session.StepsAtLastEvaluation == session.StepsDone;
        StopReason? stop = session.StepsDone >= plan.TotalSteps ? StopReason.PlanCompleted
            : stopRequested ? StopReason.StopRequested
            : specification.Stopping.TimeBudgetSeconds is { } budget && elapsedSeconds >= budget ? StopReason.TimeBudgetExhausted
            : null;
        bool evaluationDue = session.StepsDone >= IntervalEnd(plan, session);
        return stop is { } reason
            ? new RoundDecision.Stop(reason, Evaluate: !evaluatedHere)
            : new RoundDecision.GoOn(Evaluate: !evaluatedHere && evaluationDue);
    }

    /// <summary>
    /// After an evaluation: fail on a non-finite loss; stop on the target or on exhausted patience; otherwise cut
    /// the learning rate when the monitored metric has plateaued for the plateau patience.
    /// </summary>
    public EvaluationDecision DecideAfterEvaluation(TrainingSession session, TrainingSpecification specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
        RequirePlan(session);
        EvaluationMetrics? latest = session.LatestEvaluation;
        if (latest is null)
        {
            return EvaluationDecision.Continue;
        }

        if (!double.IsFinite(latest.Loss))
        {
            return new EvaluationDecision.Fail($"Evaluation loss became non-finite at step {latest.StepsDone}.");
        }

        EvaluationSection evaluation = specification.Evaluation;
        StoppingSection stopping = specification.Stopping;
        double value = evaluation.MonitoredValue(latest);
        if (stopping.TargetMetric is { } target && evaluation.Reaches(value, target))
        {
            return new EvaluationDecision.Stop(StopReason.TargetReached);
        }

        if (stopping.EarlyStoppingPatience > 0 && session.EvaluationsSinceImprovement >= stopping.EarlyStoppingPatience)
        {
            return new EvaluationDecision.Stop(StopReason.EarlyStopping);
        }

        if (stopping.PlateauPatience > 0 && session.EvaluationsSinceLearningRateChange >= stopping.PlateauPatience)
        {
            double learningRate = specification.Optimizer.LearningRate;
            double floor = stopping.ResolvedMinLearningRate(learningRate) / learningRate;
            double scale = Math.Max(session.LearningRateScale * stopping.PlateauFactor, floor);
            if (scale < session.LearningRateScale && TrainingSession.IsValidLearningRateScale(scale))
            {
                return new EvaluationDecision.CutLearningRate(scale,
                    $"no improvement of the monitored {MonitorMetrics.NameOf(evaluation.ResolvedMetric())} in {session.EvaluationsSinceLearningRateChange} evaluations");
            }
        }

        return EvaluationDecision.Continue;
    }

    /// <summary>
    /// Which held checkpoints to delete: everything except the newest, the best, and the last
    /// <see cref="CheckpointSection.KeepLast"/> taken at checkpoint intervals.
    /// </summary>
    public IReadOnlyList<CheckpointReference> PlanRetention(TrainingSession session, TrainingSpecification specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
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

        foreach (HeldCheckpoint held in session.HeldCheckpoints.Where(h => h.AtInterval).OrderByDescending(h => h.StepsDone).Take(specification.Checkpoints.KeepLast))
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
