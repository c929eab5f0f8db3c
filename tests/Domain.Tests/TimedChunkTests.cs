using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Domain.Tests.TestSessions;

namespace DurableTrainer.Domain.Tests;

/// <summary>Rounds sized by time: the domain turns a target chunk time into steps at the rate the last round measured.</summary>
public class TimedChunkTests
{
    private readonly PureTrainingService _service = new();

    private static TrainingSpecification LongRun(int evaluationInterval = 1_000_000, int replicas = 1) =>
        Spec(training: new TrainingSection(MaxSteps: 2_000_000, BatchSize: 10), evaluation: new EvaluationSection(IntervalSteps: evaluationInterval), replicas: new ReplicaSection(Count: replicas));

    [Fact]
    public void TheFirstRound_RunsThePlansStepsPerChunk_ForNoRateIsKnownYet()
    {
        TrainingSession session = Started(LongRun(), stepsPerChunk: 40, chunkSeconds: 60);

        Assert.Equal(40, _service.PlanNextRound(session).StepsPerReplica);
    }

    [Theory]
    [InlineData(1.0, 60, 2400)]
    [InlineData(4.0, 60, 600)]
    [InlineData(2.0, 5, 100)]
    public void LaterRounds_LastAboutTheTargetTimeAtTheLastRoundsRate(double firstRoundSeconds, double target, int expectedSteps)
    {
        TrainingSession session = Started(LongRun(), stepsPerChunk: 40, chunkSeconds: target);
        PlayRound(session, seconds: firstRoundSeconds);

        Assert.Equal(expectedSteps, _service.PlanNextRound(session).StepsPerReplica);
    }

    [Fact]
    public void TheRate_IsPerReplica_SoReplicasRunInParallelForTheTargetTime()
    {
        TrainingSession session = Started(LongRun(replicas: 4), stepsPerChunk: 40, chunkSeconds: 10);
        PlayRound(session, seconds: 2.0);

        // 4 replicas × 40 steps in 2 s of wall time is 20 steps a second on each.
        Assert.Equal(200, _service.PlanNextRound(session).StepsPerReplica);
    }

    [Fact]
    public void ARound_EndsAtTheNextEvaluation_SoValidationFallsOnTheIntervalsSteps()
    {
        TrainingSpecification specification = LongRun(evaluationInterval: 300);
        TrainingSession session = Started(specification, stepsPerChunk: 40, chunkSeconds: 600);
        var ends = new List<long>();
        for (int round = 0; round < 5; round++)
        {
            NextRound next = _service.PlanNextRound(session);
            Assert.True(_service.ForeseeEvaluations(session, next).Validation || round == 0, $"round {next.Round} should end at an evaluation");
            PlayRound(session);
            ends.Add(session.StepsDone);
            if (_service.DecideAfterRound(session, specification, 0, stopRequested: false) is RoundDecision.GoOn { Evaluate: true })
            {
                session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 1.0, 0.5, 10), specification);
            }
        }

        Assert.Equal(new long[] { 40, 300, 600, 900, 1200 }, ends);
    }

    [Fact]
    public void ATimedRound_NeverTakesTheRunPastItsTotal()
    {
        TrainingSession session = Started(Spec(training: new TrainingSection(MaxSteps: 100), evaluation: new EvaluationSection(IntervalSteps: 1000)), stepsPerChunk: 30, chunkSeconds: 600);
        PlayRound(session, seconds: 1.0);

        Assert.Equal(70, _service.PlanNextRound(session).StepsPerReplica);
    }

    [Fact]
    public void AnUnmeasurablyFastRound_StillRunsNoMoreThanTheMostStepsPerChunk()
    {
        TrainingSession session = Started(LongRun(), stepsPerChunk: 40, chunkSeconds: 1800);
        PlayRound(session, seconds: 1e-6);

        Assert.Equal(TrainingPlan.MaxStepsPerChunk, _service.PlanNextRound(session).StepsPerReplica);
    }

    [Fact]
    public void TheTotalRoundCount_IsThePlansForFixedChunks_AndFollowsTheRateForTimedOnes()
    {
        TrainingSpecification specification = Spec(training: new TrainingSection(MaxSteps: 1000, BatchSize: 10), evaluation: new EvaluationSection(IntervalSteps: 100_000));
        TrainingSession fixedChunks = Started(specification, stepsPerChunk: 100);
        TrainingSession timed = Started(specification, stepsPerChunk: 100, chunkSeconds: 3);
        PlayRound(fixedChunks, seconds: 1.0);
        PlayRound(timed, seconds: 1.0);

        Assert.Equal(10, _service.EstimateTotalRounds(fixedChunks));
        // 100 done, then 300-step rounds for the 900 left: 1 + 3.
        Assert.Equal(4, _service.EstimateTotalRounds(timed));
        while (PlayRound(timed, seconds: 3.0))
        {
        }

        Assert.Equal(timed.RoundsDone, _service.EstimateTotalRounds(timed));
        Assert.Equal(4, timed.RoundsDone);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void APlan_WithATargetChunkTimeThatIsNotAPositiveNumber_IsRefused(double seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _service.Plan(TrainingSpecification.Default, 100, 10, seconds));
}
