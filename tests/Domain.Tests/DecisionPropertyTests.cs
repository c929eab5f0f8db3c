using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using FsCheck;
using FsCheck.Xunit;
using static DurableTrainer.Domain.Tests.TestSessions;

namespace DurableTrainer.Domain.Tests;

/// <summary>The invariants of the decisions, over many generated runs.</summary>
public class DecisionPropertyTests
{
    private readonly PureTrainingService _service = new();

    [Property(MaxTest = 200)]
    public bool PlannedRounds_NeverGoPastMaxSteps(PositiveInt maxSteps, PositiveInt chunk, PositiveInt replicas)
    {
        int replicaCount = 1 + (replicas.Get % ReplicaSection.MaxReplicas);
        long limit = replicaCount + (maxSteps.Get % 5000);
        var specification = Spec(training: new TrainingSection(MaxSteps: limit), replicas: new ReplicaSection(Count: replicaCount));
        var session = Started(specification, stepsPerChunk: 1 + (chunk.Get % 300));
        while (PlayRound(session))
        {
            if (session.StepsDone > limit)
            {
                return false;
            }
        }

        return session.StepsDone == session.Plan!.TotalSteps && session.Plan.TotalSteps > limit - replicaCount;
    }

    [Property(MaxTest = 200)]
    public bool ForeseenEvaluations_AreExactlyThoseTheRoundsDecisionsAskFor(PositiveInt maxSteps, PositiveInt chunk, PositiveInt interval, PositiveInt replicas)
    {
        int replicaCount = 1 + (replicas.Get % 4);
        var specification = Spec(
            training: new TrainingSection(MaxSteps: replicaCount + (maxSteps.Get % 400)),
            evaluation: new EvaluationSection(IntervalSteps: 1 + (interval.Get % 120)),
            replicas: new ReplicaSection(Count: replicaCount));
        var session = Started(specification, stepsPerChunk: 1 + (chunk.Get % 60));
        while (true)
        {
            NextRound next = _service.PlanNextRound(session);
            ForeseenEvaluations foreseen = _service.ForeseeEvaluations(session, next);
            if (!PlayRound(session))
            {
                return foreseen == ForeseenEvaluations.None;
            }

            RoundDecision decision = _service.DecideAfterRound(session, specification, elapsedSeconds: 0, stopRequested: false);
            bool endsPlan = decision is RoundDecision.Stop { Reason: StopReason.PlanCompleted };
            if (foreseen != new ForeseenEvaluations(decision.Evaluate, endsPlan))
            {
                return false;
            }

            if (decision.Evaluate)
            {
                session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 1.0, 0.5, 10), specification);
            }
        }
    }

    [Property(MaxTest = 200)]
    public bool EarlyStopping_StopsExactlyWhenPatienceEvaluationsPassWithoutImprovement(PositiveInt patience, byte[] accuracyBytes)
    {
        int limit = 1 + (patience.Get % 5);
        var specification = Spec(training: new TrainingSection(MaxSteps: 1_000_000), stopping: new StoppingSection(EarlyStoppingPatience: limit));
        var session = Started(specification, stepsPerChunk: 1);
        double? best = null;
        int sinceImprovement = 0;
        foreach (byte b in accuracyBytes)
        {
            double accuracy = b / 255.0;
            PlayRound(session);
            session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 1 - accuracy, accuracy, 100), specification);
            if (best is null || accuracy > best)
            {
                best = accuracy;
                sinceImprovement = 0;
            }
            else
            {
                sinceImprovement++;
            }

            bool stopped = StopReasonOf(_service.DecideAfterEvaluation(session, specification)) == StopReason.EarlyStopping;
            if (stopped != (sinceImprovement >= limit))
            {
                return false;
            }

            if (stopped)
            {
                return true;
            }
        }

        return true;
    }

    [Property(MaxTest = 200)]
    public bool BestMetric_OnlyEverImproves(byte[] accuracyBytes, bool monitorLoss)
    {
        var specification = Spec(
            training: new TrainingSection(MaxSteps: 1_000_000),
            evaluation: new EvaluationSection(Metric: monitorLoss ? MonitorMetric.Loss : MonitorMetric.Accuracy));
        var session = Started(specification, stepsPerChunk: 1);
        double? previous = null;
        foreach (byte b in accuracyBytes)
        {
            PlayRound(session);
            session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, b / 100.0, b / 255.0, 100), specification);
            double? best = session.BestMetric;
            if (previous is not null && (best is null || (monitorLoss ? best > previous : best < previous)))
            {
                return false;
            }

            previous = best;
        }

        return true;
    }

    [Property(MaxTest = 200)]
    public bool Retention_NeverPrunesTheNewestOrTheBest(PositiveInt interval, PositiveInt keep, byte[] accuracyBytes)
    {
        int keepLast = 1 + (keep.Get % 4);
        var specification = Spec(
            training: new TrainingSection(MaxSteps: 1_000_000),
            checkpoints: new CheckpointSection(IntervalSteps: 1 + (interval.Get % 40), KeepLast: keepLast));
        var session = Started(specification, stepsPerChunk: 7);
        foreach (byte b in accuracyBytes)
        {
            PlayRound(session);
            if (b % 3 == 0)
            {
                session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, 1, b / 255.0, 100), specification);
            }

            IReadOnlyList<CheckpointReference> pruned = _service.PlanRetention(session, specification);
            if (pruned.Contains(session.LatestCheckpoint!) || (session.BestCheckpoint is not null && pruned.Contains(session.BestCheckpoint)))
            {
                return false;
            }

            session.ForgetCheckpoints(pruned);
            if (session.HeldCheckpoints.Count > keepLast + 2)
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public bool SameInputs_AlwaysGiveTheSameDecisions(byte[] lossBytes, PositiveInt patience, bool stopRequested)
    {
        var specification = Spec(
            training: new TrainingSection(MaxSteps: 500),
            evaluation: new EvaluationSection(IntervalSteps: 20),
            stopping: new StoppingSection(EarlyStoppingPatience: patience.Get % 4, PlateauPatience: 2, DivergenceFactor: 5));

        return Decisions(specification, lossBytes, stopRequested).SequenceEqual(Decisions(specification, lossBytes, stopRequested));
    }

    private List<string> Decisions(TrainingSpecification specification, byte[] lossBytes, bool stopRequested)
    {
        var session = Started(specification, stepsPerChunk: 10);
        var decisions = new List<string>();
        foreach (byte b in lossBytes)
        {
            double loss = b == 0 ? double.NaN : b / 50.0;
            RoundVerdict verdict = _service.JudgeRound(session, specification, Candidate(session, loss));
            decisions.Add(verdict.ToString());
            if (verdict is not RoundVerdict.Accept || !PlayRound(session, loss))
            {
                break;
            }

            RoundDecision afterRound = _service.DecideAfterRound(session, specification, session.StepsDone, stopRequested);
            decisions.Add(afterRound.ToString());
            if (afterRound.Evaluate)
            {
                session.RecordEvaluation(EvaluationMetrics.Classification(session.StepsDone, loss, 1 / (1 + loss), 100), specification);
                decisions.Add(_service.DecideAfterEvaluation(session, specification).ToString());
            }

            decisions.Add(string.Join(",", _service.PlanRetention(session, specification)));
        }

        return decisions;
    }
}
