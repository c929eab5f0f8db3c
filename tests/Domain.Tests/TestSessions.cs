using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Tests;

/// <summary>Builders shared by the domain tests: valid specifications, started sessions, and rounds played forward.</summary>
internal static class TestSessions
{
    public static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The engine's default chunk length (the application's execution settings), for plans that do not care.</summary>
    public const int DefaultStepsPerChunk = 250;

    /// <summary>A validated specification: the given sections, every other one at its defaults.</summary>
    public static TrainingSpecification Spec(
        DataSection? data = null,
        ModelSection? model = null,
        OptimizerSection? optimizer = null,
        ScheduleSection? schedule = null,
        TrainingSection? training = null,
        EvaluationSection? evaluation = null,
        StoppingSection? stopping = null,
        CheckpointSection? checkpoints = null,
        ReplicaSection? replicas = null) =>
        TrainingSpecification.Create(data, model, optimizer, schedule, training, evaluation, stopping, checkpoints, replicas).GetValueOrThrow();

    public static TrainingSession Started(TrainingSpecification specification, int stepsPerChunk = DefaultStepsPerChunk, int trainExamples = 1000, string runId = "run-1", double? chunkSeconds = null)
    {
        var id = RunId.Parse(runId);
        var session = new TrainingSession(id);
        session.Start(new PureTrainingService().Plan(specification, trainExamples, stepsPerChunk, chunkSeconds), CheckpointReference.Initial(id), Start);
        return session;
    }

    /// <summary>Records the next planned round with the given loss; returns false when the plan is done.</summary>
    public static bool PlayRound(TrainingSession session, double loss = 1.0, double seconds = 1.0)
    {
        NextRound next = new PureTrainingService().PlanNextRound(session);
        if (next.IsNone)
        {
            return false;
        }

        long steps = (long)next.StepsPerReplica * session.Plan!.Replicas;
        session.RecordRound(
            new RoundMetrics(next.Round, session.StepsDone + steps, loss, loss, steps * session.Plan.BatchSize, seconds),
            CheckpointReference.ForReplica(session.RunId, next.Round, 0));
        return true;
    }

    public static RoundMetrics Candidate(TrainingSession session, double loss) =>
        new(session.RoundsDone + 1, session.StepsDone + session.Plan!.StepsPerChunk, loss, loss, 100, 1.0);

    /// <summary>The reason an evaluation decision stops the run, or null when it does not.</summary>
    public static StopReason? StopReasonOf(EvaluationDecision decision) => decision is EvaluationDecision.Stop stop ? stop.Reason : null;

    /// <summary>The reason a round decision stops the run, or null when it goes on.</summary>
    public static StopReason? StopReasonOf(RoundDecision decision) => decision is RoundDecision.Stop stop ? stop.Reason : null;
}
