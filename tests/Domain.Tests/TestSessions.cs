using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Tests;

/// <summary>Builders shared by the domain tests: valid hyperparameters, started sessions, and rounds played forward.</summary>
internal static class TestSessions
{
    public static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static Hyperparameters Valid(HyperparametersBuilder values) => Hyperparameters.Create(values).GetValueOrThrow();

    public static TrainingSession Started(Hyperparameters hyperparameters, int trainExamples = 1000, string runId = "run-1")
    {
        var session = new TrainingSession(runId);
        session.Start(new PureTrainingService().Plan(hyperparameters, trainExamples), CheckpointReference.Initial(runId), Start);
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
}
