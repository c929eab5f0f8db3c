using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Tests;

public class TrainingSessionTests
{
    private static readonly TrainingPlan Plan = new(100, 10, 1, 50, 32, 1600, 20);

    private static TrainingSession Started()
    {
        var session = new TrainingSession("run-1");
        session.Start(Plan, CheckpointReference.Initial("run-1"));
        return session;
    }

    [Fact]
    public void Start_FromPending_RunsAndRaisesStarted()
    {
        var session = Started();

        Assert.Equal(TrainingStatus.Running, session.Status);
        Assert.IsType<TrainingStarted>(Assert.Single(session.Events));
    }

    [Fact]
    public void Start_Twice_IsRefusedAndRaisesNothingMore()
    {
        var session = Started();

        Assert.Throws<InvalidOperationException>(() => session.Start(Plan, CheckpointReference.Initial("run-1")));
        Assert.Single(session.Events);
    }

    [Fact]
    public void RecordRound_AdvancesCountersAndCheckpoint()
    {
        var session = Started();
        var checkpoint = CheckpointReference.ForReplica("run-1", 1, 0);

        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), checkpoint);

        Assert.Equal(10, session.StepsDone);
        Assert.Equal(320, session.SamplesSeen);
        Assert.Equal(checkpoint, session.LatestCheckpoint);
        Assert.Equal(0.2, session.Epoch, precision: 6);
        Assert.IsType<ChunkCompleted>(session.Events[^1]);
    }

    [Fact]
    public void RecordRound_ThatDoesNotAdvance_IsRefused()
    {
        var session = Started();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica("run-1", 1, 0));

        Assert.Throws<InvalidOperationException>(() =>
            session.RecordRound(new RoundMetrics(2, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica("run-1", 2, 0)));
    }

    [Fact]
    public void RecordEvaluation_OnlyABetterAccuracyBecomesBest()
    {
        var session = Started();
        session.RecordRound(new RoundMetrics(1, 10, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica("run-1", 1, 0));
        session.RecordEvaluation(new EvaluationMetrics(10, 0.5, 0.8, 100));
        session.RecordRound(new RoundMetrics(2, 20, 2.0, 1.5, 320, 2.0), CheckpointReference.ForReplica("run-1", 2, 0));
        session.RecordEvaluation(new EvaluationMetrics(20, 0.6, 0.7, 100));

        Assert.Equal(0.8, session.BestEvaluation!.Accuracy);
        Assert.Equal(CheckpointReference.ForReplica("run-1", 1, 0), session.BestCheckpoint);
        Assert.Equal(0.7, session.LatestEvaluation!.Accuracy);
        var evaluations = session.Events.OfType<EvaluationCompleted>().ToArray();
        Assert.True(evaluations[0].IsBest);
        Assert.False(evaluations[1].IsBest);
    }

    [Fact]
    public void History_IsBoundedToItsCapacity()
    {
        var session = new TrainingSession("run-1");
        session.Start(Plan with { TotalSteps = 10_000 }, CheckpointReference.Initial("run-1"));
        for (int round = 1; round <= TrainingSession.HistoryCapacity + 10; round++)
        {
            session.RecordRound(new RoundMetrics(round, round * 10L, 1.0, 1.0, 320, 1.0), CheckpointReference.ForReplica("run-1", round, 0));
        }

        Assert.Equal(TrainingSession.HistoryCapacity, session.RecentRounds.Count);
        Assert.Equal(TrainingSession.HistoryCapacity + 10, session.RecentRounds[^1].Round);
    }

    [Fact]
    public void Complete_ThenFail_IsRefused()
    {
        var session = Started();
        session.Complete(StopReason.PlanCompleted);

        Assert.Equal(TrainingStatus.Completed, session.Status);
        Assert.Throws<InvalidOperationException>(() => session.Fail("late"));
        Assert.IsType<TrainingCompleted>(session.Events[^1]);
    }
}
