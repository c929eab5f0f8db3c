using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Domain.Tests.TestSessions;

namespace DurableTrainer.Domain.Tests;

public class TrainingSessionTests
{
    private static readonly TrainingPlan Plan = new(100, 10, 1, 50, 32, 1600, 20, 20);
    private static readonly TrainingSpecification Defaults = TrainingSpecification.Default;

    private static TrainingSession StartedSession()
    {
        var session = new TrainingSession(RunId.Parse("run-1"));
        session.Start(Plan, CheckpointReference.Initial(RunId.Parse("run-1")), TestSessions.Start);
        return session;
    }

    [Fact]
    public void Start_FromPending_RunsAndRaisesStarted()
    {
        var session = StartedSession();

        Assert.Equal(TrainingStatus.Running, session.Status);
        Assert.IsType<TrainingStarted>(Assert.Single(session.Events));
    }

    [Fact]
    public void Start_OfARunThatContinuesAnother_CarriesOnFromItsSteps_AndPlansOnlyWhatIsLeft()
    {
        var session = new TrainingSession(RunId.Parse("run-2"));

        session.Start(Plan, CheckpointReference.Initial(RunId.Parse("run-2")), TestSessions.Start, stepsDone: 70);
        Decisions.NextRound next = new Decisions.PureTrainingService().PlanNextRound(session);

        Assert.Equal(70, session.StepsDone);
        Assert.Equal((1L, 10), (next.Round, next.StepsPerReplica));
        Assert.Equal(70, Assert.Single(session.HeldCheckpoints).StepsDone);
        Assert.Equal(1.4, session.Epoch, 10);
    }

    [Fact]
    public void Start_Twice_IsRefusedAndRaisesNothingMore()
    {
        var session = StartedSession();

        Assert.Throws<InvalidOperationException>(() => session.Start(Plan, CheckpointReference.Initial(RunId.Parse("run-1")), TestSessions.Start));
        Assert.Single(session.Events);
    }

    [Fact]
    public void RecordRound_AdvancesCountersAndCheckpoint()
    {
        var session = StartedSession();
        var checkpoint = CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0);

        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), checkpoint);

        Assert.Equal(10, session.StepsDone);
        Assert.Equal(320, session.SamplesSeen);
        Assert.Equal(checkpoint, session.LatestCheckpoint);
        Assert.Equal(0.2, session.Epoch, precision: 6);
        Assert.Equal(2.0, session.BestTrainingLoss);
        Assert.IsType<ChunkCompleted>(session.Events[^1]);
    }

    [Fact]
    public void RecordRound_CrossingTheCheckpointInterval_RaisesCheckpointSaved()
    {
        var session = StartedSession();

        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));
        session.RecordRound(new RoundMetrics(2, 20, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0));

        var saved = Assert.Single(session.Events.OfType<CheckpointSaved>());
        Assert.Equal(20, saved.StepsDone);
        Assert.True(session.HeldCheckpoints.Single(held => held.StepsDone == 20).AtInterval);
        Assert.False(session.HeldCheckpoints.Single(held => held.StepsDone == 10).AtInterval);
    }

    [Fact]
    public void RecordRound_ThatDoesNotAdvance_IsRefused()
    {
        var session = StartedSession();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));

        Assert.Throws<InvalidOperationException>(() =>
            session.RecordRound(new RoundMetrics(2, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0)));
    }

    [Fact]
    public void RecordEvaluation_OnlyABetterAccuracyBecomesBest()
    {
        var session = StartedSession();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(10, 0.5, 0.8, 100), Defaults);
        session.RecordRound(new RoundMetrics(2, 20, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(20, 0.6, 0.7, 100), Defaults);

        Assert.Equal(0.8, session.BestEvaluation!.AccuracyOrNull());
        Assert.Equal(0.8, session.BestMetric);
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0), session.BestCheckpoint);
        Assert.Equal(1, session.EvaluationsSinceImprovement);
        var evaluations = session.Events.OfType<EvaluationCompleted>().ToArray();
        Assert.True(evaluations[0].IsBest);
        Assert.False(evaluations[1].IsBest);
    }

    [Fact]
    public void RecordEvaluation_WithLossMonitored_OnlyALowerLossByMoreThanTheMinDeltaBecomesBest()
    {
        var specification = Spec(evaluation: new EvaluationSection(Metric: MonitorMetric.Loss), stopping: new StoppingSection(EarlyStoppingMinDelta: 0.05));
        var session = StartedSession();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(10, 0.5, 0.8, 100), specification);
        session.RecordRound(new RoundMetrics(2, 20, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(20, 0.47, 0.9, 100), specification);
        session.RecordRound(new RoundMetrics(3, 30, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 3, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(30, 0.4, 0.7, 100), specification);

        Assert.Equal(0.4, session.BestMetric);
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 3, 0), session.BestCheckpoint);
        Assert.Equal(new[] { true, false, true }, session.Events.OfType<EvaluationCompleted>().Select(evaluation => evaluation.IsBest));
    }

    [Fact]
    public void RollBack_KeepsTheLatestCheckpointAndLowersTheScale()
    {
        var session = StartedSession();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));

        session.RollBack(0.5, "diverged");

        Assert.Equal(1, session.RollbacksUsed);
        Assert.Equal(0.5, session.LearningRateScale);
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0), session.LatestCheckpoint);
        var rolledBack = Assert.IsType<RolledBack>(session.Events[^1]);
        Assert.Equal(10, rolledBack.StepsDone);
    }

    [Fact]
    public void AdjustLearningRate_ToTheSameScale_RaisesNothing()
    {
        var session = StartedSession();

        session.AdjustLearningRate(1.0, "same");
        session.AdjustLearningRate(0.3, "lower");

        Assert.Single(session.Events.OfType<LearningRateAdjusted>());
    }

    [Fact]
    public void ForgetCheckpoints_RefusesTheNewestAndTheBest()
    {
        var session = StartedSession();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));

        Assert.Throws<InvalidOperationException>(() => session.ForgetCheckpoints([session.LatestCheckpoint!]));
    }

    [Fact]
    public void History_IsBoundedToItsCapacity()
    {
        var session = new TrainingSession(RunId.Parse("run-1"));
        session.Start(Plan with { TotalSteps = 10_000 }, CheckpointReference.Initial(RunId.Parse("run-1")), TestSessions.Start);
        for (int round = 1; round <= TrainingSession.HistoryCapacity + 10; round++)
        {
            session.RecordRound(new RoundMetrics(round, round * 10L, 1.0, 1.0, 320, 1.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), round, 0));
        }

        Assert.Equal(TrainingSession.HistoryCapacity, session.RecentRounds.Count);
        Assert.Equal(TrainingSession.HistoryCapacity + 10, session.RecentRounds[^1].Round);
    }

    [Fact]
    public void Snapshot_RestoresAnEqualSession()
    {
        var session = StartedSession();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(10, 0.5, 0.8, 100), Defaults);
        session.AdjustLearningRate(0.5, "test");

        var restored = TrainingSession.Restore(session.ToSnapshot());

        Assert.Equal(session.ToSnapshot() with { RecentRounds = [], RecentEvaluations = [], HeldCheckpoints = [] },
            restored.ToSnapshot() with { RecentRounds = [], RecentEvaluations = [], HeldCheckpoints = [] });
        Assert.Equal(session.RecentRounds, restored.RecentRounds);
        Assert.Equal(session.RecentEvaluations, restored.RecentEvaluations);
        Assert.Equal(session.HeldCheckpoints, restored.HeldCheckpoints);
    }

    [Fact]
    public void Complete_ThenFail_IsRefused()
    {
        var session = StartedSession();
        session.Complete(StopReason.PlanCompleted);

        Assert.Equal(TrainingStatus.Completed, session.Status);
        Assert.Throws<InvalidOperationException>(() => session.Fail("late"));
        Assert.IsType<TrainingCompleted>(session.Events[^1]);
    }

    [Fact]
    public void Stop_EndsStoppedWithItsReason()
    {
        var session = StartedSession();

        session.Stop(StopReason.StopRequested);

        Assert.Equal(TrainingStatus.Stopped, session.Status);
        Assert.IsType<TrainingStopped>(session.Events[^1]);
    }
}
