using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Domain.Tests.TestSessions;

namespace DurableTrainer.Domain.Tests;

public class PureTrainingServiceTests
{
    private readonly PureTrainingService _service = new();

    [Fact]
    public void Plan_FromEpochs_CountsStepsPerEpochRoundingUp()
    {
        var plan = _service.Plan(Valid(Hyperparameters.Defaults with { Epochs = 3, BatchSize = 64, StepsPerChunk = 250 }), 60_000);

        Assert.Equal(938, plan.StepsPerEpoch);
        Assert.Equal(3 * 938, plan.TotalSteps);
        Assert.Equal(12, plan.Rounds);
    }

    [Fact]
    public void Plan_WithMaxSteps_OverridesEpochsAndRoundsDownToReplicaMultiple()
    {
        var plan = _service.Plan(Valid(Hyperparameters.Defaults with { MaxSteps = 103, Replicas = 4, StepsPerChunk = 10 }), 60_000);

        Assert.Equal(100, plan.TotalSteps);
        Assert.Equal(40, plan.StepsPerRound);
        Assert.Equal(3, plan.Rounds);
    }

    [Fact]
    public void PlanNextRound_NearTheEnd_NeverGoesPastTotalSteps()
    {
        var session = Started(Valid(Hyperparameters.Defaults with { MaxSteps = 25, StepsPerChunk = 10 }));
        var sizes = new List<int>();
        for (NextRound next = _service.PlanNextRound(session); !next.IsNone; next = _service.PlanNextRound(session))
        {
            sizes.Add(next.StepsPerReplica);
            PlayRound(session);
        }

        Assert.Equal(new[] { 10, 10, 5 }, sizes);
        Assert.Equal(25, session.StepsDone);
    }

    [Fact]
    public void DecideAfterRound_WhenIntervalReached_AsksForEvaluationWithoutStopping()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, EvaluationIntervalSteps = 20 });
        var session = Started(hyperparameters);

        PlayRound(session);
        var first = _service.DecideAfterRound(session, hyperparameters, 1, stopRequested: false);
        PlayRound(session);
        var second = _service.DecideAfterRound(session, hyperparameters, 2, stopRequested: false);

        Assert.False(first.Evaluate);
        Assert.True(second.Evaluate);
        Assert.False(second.ShouldStop);
    }

    [Fact]
    public void DecideAfterRound_AtTheEndOfThePlan_EvaluatesAndStops()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 10, StepsPerChunk = 10, EvaluationIntervalSteps = 1000 });
        var session = Started(hyperparameters);

        PlayRound(session);
        var decision = _service.DecideAfterRound(session, hyperparameters, 1, stopRequested: false);

        Assert.True(decision.Evaluate);
        Assert.Equal(StopReason.PlanCompleted, decision.Stop);
    }

    [Fact]
    public void DecideAfterRound_WhenStopRequested_EvaluatesAndStopsEarly()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10 });
        var session = Started(hyperparameters);
        PlayRound(session);

        var decision = _service.DecideAfterRound(session, hyperparameters, 1, stopRequested: true);

        Assert.True(decision.Evaluate);
        Assert.Equal(StopReason.StopRequested, decision.Stop);
        Assert.True(RoundDecision.EndsEarly(StopReason.StopRequested));
    }

    [Fact]
    public void DecideAfterRound_WhenTheTimeBudgetIsSpent_StopsEarly()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, TimeBudgetSeconds = 60 });
        var session = Started(hyperparameters);
        PlayRound(session);

        Assert.Null(_service.DecideAfterRound(session, hyperparameters, 59.9, false).Stop);
        Assert.Equal(StopReason.TimeBudgetExhausted, _service.DecideAfterRound(session, hyperparameters, 60, false).Stop);
    }

    [Fact]
    public void JudgeRound_NonFiniteLoss_RollsBackWithAReducedLearningRate()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, MaxRollbacks = 2, RollbackLearningRateFactor = 0.5 });
        var session = Started(hyperparameters);
        PlayRound(session, loss: 1.0);

        var verdict = _service.JudgeRound(session, hyperparameters, Candidate(session, double.NaN));

        Assert.Equal(RoundVerdictKind.RollBack, verdict.Kind);
        Assert.Equal(0.5, verdict.NewLearningRateScale);
        Assert.Contains("non-finite", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void JudgeRound_LossFarAboveTheBest_RollsBackUntilTheLimitThenFails()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, MaxRollbacks = 1, DivergenceFactor = 4 });
        var session = Started(hyperparameters);
        PlayRound(session, loss: 1.0);

        Assert.Equal(RoundVerdictKind.Accept, _service.JudgeRound(session, hyperparameters, Candidate(session, 3.9)).Kind);
        var first = _service.JudgeRound(session, hyperparameters, Candidate(session, 4.1));
        session.RollBack(first.NewLearningRateScale!.Value, first.Reason!);
        var second = _service.JudgeRound(session, hyperparameters, Candidate(session, 4.1));

        Assert.Equal(RoundVerdictKind.RollBack, first.Kind);
        Assert.Equal(RoundVerdictKind.Fail, second.Kind);
        Assert.Contains("after 1 rollback", second.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DecideAfterEvaluation_WhenTargetReached_StopsEarly()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, TargetMetric = 0.9 });
        var session = Started(hyperparameters);
        PlayRound(session);

        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.3, 0.91, 100), hyperparameters);

        Assert.Equal(StopReason.TargetReached, _service.DecideAfterEvaluation(session, hyperparameters).Stop);
    }

    [Fact]
    public void DecideAfterEvaluation_WithLossTargetAndMinMode_StopsWhenLossIsLowEnough()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, MonitorMetric = MonitorMetric.Loss, TargetMetric = 0.25 });
        var session = Started(hyperparameters);
        PlayRound(session);
        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.3, 0.5, 100), hyperparameters);
        Assert.Same(RoundDecision.Continue, _service.DecideAfterEvaluation(session, hyperparameters));

        PlayRound(session);
        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.2, 0.5, 100), hyperparameters);

        Assert.Equal(StopReason.TargetReached, _service.DecideAfterEvaluation(session, hyperparameters).Stop);
    }

    [Fact]
    public void DecideAfterEvaluation_AfterPatienceEvaluationsWithoutImprovement_StopsEarly()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10, EarlyStoppingPatience = 2, EarlyStoppingMinDelta = 0.01 });
        var session = Started(hyperparameters);
        var decisions = new List<StopReason?>();
        foreach (double accuracy in new[] { 0.80, 0.805, 0.80 })
        {
            PlayRound(session);
            session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.5, accuracy, 100), hyperparameters);
            decisions.Add(_service.DecideAfterEvaluation(session, hyperparameters).Stop);
        }

        Assert.Equal(new StopReason?[] { null, null, StopReason.EarlyStopping }, decisions);
    }

    [Fact]
    public void DecideAfterEvaluation_OnAPlateau_CutsTheLearningRateButNotBelowTheMinimum()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with
        {
            MaxSteps = 1000, StepsPerChunk = 10, LearningRate = 0.01, PlateauPatience = 1, PlateauFactor = 0.1, MinLearningRate = 0.0005,
        });
        var session = Started(hyperparameters);
        var scales = new List<double?>();
        foreach (double accuracy in new[] { 0.8, 0.7, 0.7, 0.7 })
        {
            PlayRound(session);
            session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.5, accuracy, 100), hyperparameters);
            RoundDecision decision = _service.DecideAfterEvaluation(session, hyperparameters);
            scales.Add(decision.NewLearningRateScale);
            if (decision.NewLearningRateScale is { } scale)
            {
                session.AdjustLearningRate(scale, decision.LearningRateReason!);
            }
        }

        Assert.Null(scales[0]);
        Assert.Equal(0.1, scales[1]!.Value, 12);
        Assert.Equal(0.05, scales[2]!.Value, 12);
        Assert.Null(scales[3]);
    }

    [Fact]
    public void PlanRetention_KeepsTheNewestTheBestAndTheLastNIntervalCheckpoints()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10, CheckpointIntervalSteps = 20, KeepLastCheckpoints = 2 });
        var session = Started(hyperparameters);
        PlayRound(session);
        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.1, 0.99, 100), hyperparameters);
        for (int i = 0; i < 6; i++)
        {
            PlayRound(session);
        }

        var pruned = _service.PlanRetention(session, hyperparameters);
        session.ForgetCheckpoints(pruned);

        Assert.Equal(
            // Newest (70), best (10), and the last two taken at 20-step intervals (60, 40).
            new[] { "round-000001/replica-00", "round-000004/replica-00", "round-000006/replica-00", "round-000007/replica-00" },
            session.HeldCheckpoints.Select(held => held.Checkpoint.Name).Order().ToArray());
        Assert.Contains(CheckpointReference.Initial("run-1"), pruned);
    }

    [Fact]
    public void AnalyzeProgress_WithFlatLoss_ReportsPlateauAndSuggestsSomething()
    {
        var session = Started(Valid(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10 }));
        for (int i = 0; i < 8; i++)
        {
            PlayRound(session, loss: 0.5);
        }

        var analysis = _service.AnalyzeProgress(session);

        Assert.Equal(LossTrend.Plateau, analysis.Trend);
        Assert.NotEmpty(analysis.Suggestions);
        // 80 steps took 8 s, so the remaining 920 steps should take 92 s.
        Assert.Equal(92.0, analysis.SecondsRemaining!.Value, precision: 6);
    }

    [Fact]
    public void AnalyzeProgress_WithFallingLoss_ReportsImprovingAndStaysQuiet()
    {
        var session = Started(Valid(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10 }));
        for (int i = 0; i < 8; i++)
        {
            PlayRound(session, loss: 2.0 / (i + 1));
        }

        var analysis = _service.AnalyzeProgress(session);

        Assert.Equal(LossTrend.Improving, analysis.Trend);
        Assert.False(analysis.Overfitting);
        Assert.Empty(analysis.Suggestions);
    }

    [Fact]
    public void AnalyzeProgress_WhenTestLossPullsAwayFromTrainingLoss_ReportsOverfitting()
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10 });
        var session = Started(hyperparameters);
        double[] trainLosses = [0.5, 0.4, 0.3];
        double[] testLosses = [0.55, 0.6, 0.7];
        for (int i = 0; i < 3; i++)
        {
            PlayRound(session, loss: trainLosses[i]);
            session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, testLosses[i], 0.8, 100), hyperparameters);
        }

        var analysis = _service.AnalyzeProgress(session);

        Assert.True(analysis.Overfitting);
        Assert.Contains(analysis.Suggestions, suggestion => suggestion.Contains("overfit", StringComparison.Ordinal));
    }

    [Fact]
    public void AnalyzeProgress_WhenTheLastLossIsFarAboveTheBest_WarnsOfDivergence()
    {
        var session = Started(Valid(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10 }));
        PlayRound(session, loss: 0.5);
        PlayRound(session, loss: 2.0);

        Assert.True(_service.AnalyzeProgress(session).DivergenceRisk);
    }
}
