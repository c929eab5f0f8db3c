using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Domain.Tests.TestSessions;

namespace DurableTrainer.Domain.Tests;

public class PureTrainingServiceTests
{
    private readonly PureTrainingService _service = new();

    [Fact]
    public void Plan_FromEpochs_CountsStepsPerEpochRoundingUp()
    {
        var plan = _service.Plan(Spec(training: new TrainingSection(Epochs: 3, BatchSize: 64)), 60_000, stepsPerChunk: 250);

        Assert.Equal(938, plan.StepsPerEpoch);
        Assert.Equal(3 * 938, plan.TotalSteps);
        Assert.Equal(12, plan.Rounds);
    }

    [Fact]
    public void Plan_WithMaxSteps_OverridesEpochsAndRoundsDownToReplicaMultiple()
    {
        var plan = _service.Plan(Spec(training: new TrainingSection(MaxSteps: 103), replicas: new ReplicaSection(Count: 4)), 60_000, stepsPerChunk: 10);

        Assert.Equal(100, plan.TotalSteps);
        Assert.Equal(40, plan.StepsPerRound);
        Assert.Equal(3, plan.Rounds);
    }

    [Fact]
    public void Plan_TakesTheIntervalsFromTheEvaluationAndCheckpointSections()
    {
        var plan = _service.Plan(
            Spec(training: new TrainingSection(MaxSteps: 100), evaluation: new EvaluationSection(IntervalSteps: 30), checkpoints: new CheckpointSection(IntervalSteps: 40)),
            60_000,
            stepsPerChunk: 10);

        Assert.Equal((30, 40, 10), (plan.EvaluationIntervalSteps, plan.CheckpointIntervalSteps, plan.StepsPerChunk));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(100, 0)]
    public void Plan_WithoutExamplesOrWithAnEmptyChunk_IsRefused(int trainExamples, int stepsPerChunk) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _service.Plan(TrainingSpecification.Default, trainExamples, stepsPerChunk));

    [Fact]
    public void PlanNextRound_NearTheEnd_NeverGoesPastTotalSteps()
    {
        var session = Started(Spec(training: new TrainingSection(MaxSteps: 25)), stepsPerChunk: 10);
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
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), evaluation: new EvaluationSection(IntervalSteps: 20));
        var session = Started(specification, stepsPerChunk: 10);

        PlayRound(session);
        var first = _service.DecideAfterRound(session, specification, 1, stopRequested: false);
        PlayRound(session);
        var second = _service.DecideAfterRound(session, specification, 2, stopRequested: false);

        Assert.False(Assert.IsType<RoundDecision.GoOn>(first).Evaluate);
        Assert.True(Assert.IsType<RoundDecision.GoOn>(second).Evaluate);
    }

    [Fact]
    public void ForeseeEvaluations_ARoundThatReachesASweepsRung_ForeseesAValidationThere()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), evaluation: new EvaluationSection(IntervalSteps: 1000));
        var session = Started(specification, stepsPerChunk: 30);

        NextRound toRung = _service.PlanNextRound(session, pauseAtStep: 25);
        Assert.Equal(new ForeseenEvaluations(Validation: true, Test: false), _service.ForeseeEvaluations(session, toRung, pauseAtStep: 25));
        Assert.Equal(ForeseenEvaluations.None, _service.ForeseeEvaluations(session, _service.PlanNextRound(session)));
    }

    [Fact]
    public void DecideAfterRound_AtTheEndOfThePlan_EvaluatesAndStops()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 10), evaluation: new EvaluationSection(IntervalSteps: 1000));
        var session = Started(specification, stepsPerChunk: 10);

        PlayRound(session);
        var decision = _service.DecideAfterRound(session, specification, 1, stopRequested: false);

        var stop = Assert.IsType<RoundDecision.Stop>(decision);
        Assert.True(stop.Evaluate);
        Assert.Equal(StopReason.PlanCompleted, stop.Reason);
        Assert.False(stop.EndsEarly);
    }

    [Fact]
    public void DecideAfterRound_WhenStopRequested_EvaluatesAndStopsEarly()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);

        var decision = _service.DecideAfterRound(session, specification, 1, stopRequested: true);

        var stop = Assert.IsType<RoundDecision.Stop>(decision);
        Assert.True(stop.Evaluate);
        Assert.Equal(StopReason.StopRequested, stop.Reason);
        Assert.True(stop.EndsEarly);
        Assert.True(RoundDecision.EndsEarlyFor(StopReason.StopRequested));
    }

    [Fact]
    public void DecideAfterRound_WhenTheTimeBudgetIsSpent_StopsEarly()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), stopping: new StoppingSection(TimeBudgetSeconds: 60));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);

        Assert.IsType<RoundDecision.GoOn>(_service.DecideAfterRound(session, specification, 59.9, false));
        var stop = Assert.IsType<RoundDecision.Stop>(_service.DecideAfterRound(session, specification, 60, false));
        Assert.Equal(StopReason.TimeBudgetExhausted, stop.Reason);
        Assert.True(stop.EndsEarly);
    }

    [Fact]
    public void JudgeRound_NonFiniteLoss_RollsBackWithAReducedLearningRate()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), stopping: new StoppingSection(MaxRollbacks: 2, RollbackLearningRateFactor: 0.5));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session, loss: 1.0);

        var verdict = _service.JudgeRound(session, specification, Candidate(session, double.NaN));

        var rollBack = Assert.IsType<RoundVerdict.RollBack>(verdict);
        Assert.Equal(0.5, rollBack.NewLearningRateScale);
        Assert.Contains("non-finite", rollBack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void JudgeRound_LossFarAboveTheBest_RollsBackUntilTheLimitThenFails()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), stopping: new StoppingSection(MaxRollbacks: 1, DivergenceFactor: 4));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session, loss: 1.0);

        Assert.Same(RoundVerdict.Accepted, _service.JudgeRound(session, specification, Candidate(session, 3.9)));
        var first = Assert.IsType<RoundVerdict.RollBack>(_service.JudgeRound(session, specification, Candidate(session, 4.1)));
        session.RollBack(first.NewLearningRateScale, first.Reason);
        var second = _service.JudgeRound(session, specification, Candidate(session, 4.1));

        var fail = Assert.IsType<RoundVerdict.Fail>(second);
        Assert.Contains("after 1 rollback", fail.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void JudgeRound_WithTheDivergenceFactorOff_AcceptsAnyFiniteLoss()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), stopping: new StoppingSection(DivergenceFactor: 0));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session, loss: 1.0);

        Assert.IsType<RoundVerdict.Accept>(_service.JudgeRound(session, specification, Candidate(session, 1e9)));
        Assert.IsType<RoundVerdict.RollBack>(_service.JudgeRound(session, specification, Candidate(session, double.PositiveInfinity)));
    }

    [Fact]
    public void DecideAfterEvaluation_WhenTargetReached_StopsEarly()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100), stopping: new StoppingSection(TargetMetric: 0.9));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);

        session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.3, 0.91, 100), specification);

        Assert.Equal(StopReason.TargetReached, Assert.IsType<EvaluationDecision.Stop>(_service.DecideAfterEvaluation(session, specification)).Reason);
    }

    [Fact]
    public void DecideAfterEvaluation_WithLossTargetAndMinMode_StopsWhenLossIsLowEnough()
    {
        var specification = Spec(
            training: new TrainingSection(MaxSteps: 100),
            evaluation: new EvaluationSection(Metric: MonitorMetric.Loss),
            stopping: new StoppingSection(TargetMetric: 0.25));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);
        session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.3, 0.5, 100), specification);
        Assert.Same(EvaluationDecision.Continue, _service.DecideAfterEvaluation(session, specification));

        PlayRound(session);
        session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.2, 0.5, 100), specification);

        Assert.Equal(StopReason.TargetReached, Assert.IsType<EvaluationDecision.Stop>(_service.DecideAfterEvaluation(session, specification)).Reason);
    }

    [Fact]
    public void DecideAfterEvaluation_WithANonFiniteLoss_Fails()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 100));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);

        session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, double.NaN, 0.5, 100), specification);

        Assert.Contains("non-finite", Assert.IsType<EvaluationDecision.Fail>(_service.DecideAfterEvaluation(session, specification)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DecideAfterEvaluation_AfterPatienceEvaluationsWithoutImprovement_StopsEarly()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 1000), stopping: new StoppingSection(EarlyStoppingPatience: 2, EarlyStoppingMinDelta: 0.01));
        var session = Started(specification, stepsPerChunk: 10);
        var decisions = new List<StopReason?>();
        foreach (double accuracy in new[] { 0.80, 0.805, 0.80 })
        {
            PlayRound(session);
            session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.5, accuracy, 100), specification);
            decisions.Add(StopReasonOf(_service.DecideAfterEvaluation(session, specification)));
        }

        Assert.Equal(new StopReason?[] { null, null, StopReason.EarlyStopping }, decisions);
    }

    [Fact]
    public void DecideAfterEvaluation_OnAPlateau_CutsTheLearningRateButNotBelowTheMinimum()
    {
        var specification = Spec(
            optimizer: new OptimizerSection(LearningRate: 0.01),
            training: new TrainingSection(MaxSteps: 1000),
            stopping: new StoppingSection(PlateauPatience: 1, PlateauFactor: 0.1, MinLearningRate: 0.0005));
        var session = Started(specification, stepsPerChunk: 10);
        var scales = new List<double?>();
        foreach (double accuracy in new[] { 0.8, 0.7, 0.7, 0.7 })
        {
            PlayRound(session);
            session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.5, accuracy, 100), specification);
            EvaluationDecision decision = _service.DecideAfterEvaluation(session, specification);
            if (decision is EvaluationDecision.CutLearningRate cut)
            {
                scales.Add(cut.NewLearningRateScale);
                session.AdjustLearningRate(cut.NewLearningRateScale, cut.Reason);
            }
            else
            {
                Assert.Same(EvaluationDecision.Continue, decision);
                scales.Add(null);
            }
        }

        Assert.Null(scales[0]);
        Assert.Equal(0.1, scales[1]!.Value, 12);
        Assert.Equal(0.05, scales[2]!.Value, 12);
        Assert.Null(scales[3]);
    }

    [Fact]
    public void DecideAfterEvaluation_OnAPlateauWithoutAMinimum_StopsAtTheDefaultMinimumLearningRate()
    {
        // Without stopping.minLearningRate the floor is min(1e-6, learning rate): a rate of 1e-5 is cut to 1e-6 at most.
        var specification = Spec(
            optimizer: new OptimizerSection(LearningRate: 1e-5),
            training: new TrainingSection(MaxSteps: 1000),
            stopping: new StoppingSection(PlateauPatience: 1, PlateauFactor: 0.5));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);
        session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.5, 0.8, 100), specification);
        for (int i = 0; i < 10; i++)
        {
            PlayRound(session);
            session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.5, 0.7, 100), specification);
            if (_service.DecideAfterEvaluation(session, specification) is EvaluationDecision.CutLearningRate cut)
            {
                session.AdjustLearningRate(cut.NewLearningRateScale, cut.Reason);
            }
        }

        Assert.Equal(0.1, session.LearningRateScale, 12);
    }

    [Fact]
    public void PlanRetention_KeepsTheNewestTheBestAndTheLastNIntervalCheckpoints()
    {
        var specification = Spec(training: new TrainingSection(MaxSteps: 1000), checkpoints: new CheckpointSection(IntervalSteps: 20, KeepLast: 2));
        var session = Started(specification, stepsPerChunk: 10);
        PlayRound(session);
        session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 0.1, 0.99, 100), specification);
        for (int i = 0; i < 6; i++)
        {
            PlayRound(session);
        }

        var pruned = _service.PlanRetention(session, specification);
        session.ForgetCheckpoints(pruned);

        Assert.Equal(
            // Newest (70), best (10), and the last two taken at 20-step intervals (60, 40).
            new[] { "round-000001/replica-00", "round-000004/replica-00", "round-000006/replica-00", "round-000007/replica-00" },
            session.HeldCheckpoints.Select(held => held.Checkpoint.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains(CheckpointReference.Initial(RunId.Parse("run-1")), pruned);
    }

    [Fact]
    public void AnalyzeProgress_WithFlatLoss_ReportsPlateauAndSuggestsSomething()
    {
        var session = Started(Spec(training: new TrainingSection(MaxSteps: 1000)), stepsPerChunk: 10);
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
        var session = Started(Spec(training: new TrainingSection(MaxSteps: 1000)), stepsPerChunk: 10);
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
        var specification = Spec(training: new TrainingSection(MaxSteps: 1000));
        var session = Started(specification, stepsPerChunk: 10);
        double[] trainLosses = [0.5, 0.4, 0.3];
        double[] testLosses = [0.55, 0.6, 0.7];
        for (int i = 0; i < 3; i++)
        {
            PlayRound(session, loss: trainLosses[i]);
            session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, testLosses[i], 0.8, 100), specification);
        }

        var analysis = _service.AnalyzeProgress(session);

        Assert.True(analysis.Overfitting);
        Assert.Contains(analysis.Suggestions, suggestion => suggestion.Contains("overfit", StringComparison.Ordinal));
    }

    [Fact]
    public void AnalyzeProgress_WhenTheLastLossIsFarAboveTheBest_WarnsOfDivergence()
    {
        var session = Started(Spec(training: new TrainingSection(MaxSteps: 1000)), stepsPerChunk: 10);
        PlayRound(session, loss: 0.5);
        PlayRound(session, loss: 2.0);

        Assert.True(_service.AnalyzeProgress(session).DivergenceRisk);
    }
}
