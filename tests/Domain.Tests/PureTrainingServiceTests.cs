using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Tests;

public class PureTrainingServiceTests
{
    private readonly PureTrainingService _service = new();

    private static Hyperparameters Valid(HyperparametersBuilder values) => Hyperparameters.Create(values).GetValueOrThrow();

    private TrainingSession Started(HyperparametersBuilder values, int trainExamples)
    {
        var session = new TrainingSession("run-1");
        session.Start(_service.Plan(Valid(values), trainExamples), CheckpointReference.Initial("run-1"));
        return session;
    }

    private static void RunRound(TrainingSession session, NextRound next, double loss = 1.0)
    {
        long steps = (long)next.StepsPerReplica * session.Plan!.Replicas;
        session.RecordRound(
            new RoundMetrics(next.Round, session.StepsDone + steps, loss, loss, steps * session.Plan.BatchSize, 1.0),
            CheckpointReference.ForReplica(session.RunId, next.Round, 0));
    }

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
        var session = Started(Hyperparameters.Defaults with { MaxSteps = 25, StepsPerChunk = 10 }, 1000);
        var sizes = new List<int>();
        for (NextRound next = _service.PlanNextRound(session); !next.IsNone; next = _service.PlanNextRound(session))
        {
            sizes.Add(next.StepsPerReplica);
            RunRound(session, next);
        }

        Assert.Equal(new[] { 10, 10, 5 }, sizes);
        Assert.Equal(25, session.StepsDone);
    }

    [Fact]
    public void DecideAfterRound_WhenIntervalReached_AsksForEvaluationWithoutStopping()
    {
        var session = Started(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, EvaluationIntervalSteps = 20 }, 1000);

        RunRound(session, _service.PlanNextRound(session));
        var first = _service.DecideAfterRound(session);
        RunRound(session, _service.PlanNextRound(session));
        var second = _service.DecideAfterRound(session);

        Assert.False(first.Evaluate);
        Assert.True(second.Evaluate);
        Assert.False(second.ShouldStop);
    }

    [Fact]
    public void DecideAfterRound_AtTheEndOfThePlan_EvaluatesAndStops()
    {
        var session = Started(Hyperparameters.Defaults with { MaxSteps = 10, StepsPerChunk = 10, EvaluationIntervalSteps = 1000 }, 1000);

        RunRound(session, _service.PlanNextRound(session));
        var decision = _service.DecideAfterRound(session);

        Assert.True(decision.Evaluate);
        Assert.Equal(StopReason.PlanCompleted, decision.Stop);
    }

    [Fact]
    public void DecideAfterRound_WhenLossIsNotFinite_Fails()
    {
        var session = Started(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10 }, 1000);

        RunRound(session, _service.PlanNextRound(session), double.NaN);
        var decision = _service.DecideAfterRound(session);

        Assert.True(decision.ShouldFail);
        Assert.Contains("non-finite", decision.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void DecideAfterEvaluation_WhenTargetAccuracyReached_StopsEarly()
    {
        var values = Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, TargetAccuracy = 0.9 };
        var session = Started(values, 1000);
        RunRound(session, _service.PlanNextRound(session));

        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.3, 0.91, 100));
        var decision = _service.DecideAfterEvaluation(session, Valid(values));

        Assert.Equal(StopReason.TargetReached, decision.Stop);
    }

    [Fact]
    public void DecideAfterEvaluation_BelowTarget_Continues()
    {
        var values = Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10, TargetAccuracy = 0.9 };
        var session = Started(values, 1000);
        RunRound(session, _service.PlanNextRound(session));

        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 0.3, 0.5, 100));

        Assert.Same(RoundDecision.Continue, _service.DecideAfterEvaluation(session, Valid(values)));
    }

    [Fact]
    public void AnalyzeProgress_WithFlatLoss_ReportsPlateauAndSuggestsSomething()
    {
        var session = Started(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10 }, 1000);
        for (int i = 0; i < 8; i++)
        {
            RunRound(session, _service.PlanNextRound(session), loss: 0.5);
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
        var session = Started(Hyperparameters.Defaults with { MaxSteps = 1000, StepsPerChunk = 10 }, 1000);
        for (int i = 0; i < 8; i++)
        {
            RunRound(session, _service.PlanNextRound(session), loss: 2.0 / (i + 1));
        }

        var analysis = _service.AnalyzeProgress(session);

        Assert.Equal(LossTrend.Improving, analysis.Trend);
        Assert.Empty(analysis.Suggestions);
    }
}
