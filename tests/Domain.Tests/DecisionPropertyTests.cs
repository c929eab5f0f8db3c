using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
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
        int replicaCount = 1 + (replicas.Get % Hyperparameters.MaxReplicas);
        var hyperparameters = Valid(Hyperparameters.Defaults with
        {
            MaxSteps = replicaCount + (maxSteps.Get % 5000),
            StepsPerChunk = 1 + (chunk.Get % 300),
            Replicas = replicaCount,
        });
        var session = Started(hyperparameters);
        while (PlayRound(session))
        {
            if (session.StepsDone > hyperparameters.MaxSteps)
            {
                return false;
            }
        }

        return session.StepsDone == session.Plan!.TotalSteps && session.Plan.TotalSteps > hyperparameters.MaxSteps - hyperparameters.Replicas;
    }

    [Property(MaxTest = 200)]
    public bool EarlyStopping_StopsExactlyWhenPatienceEvaluationsPassWithoutImprovement(PositiveInt patience, byte[] accuracyBytes)
    {
        int limit = 1 + (patience.Get % 5);
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 1_000_000, StepsPerChunk = 1, EarlyStoppingPatience = limit });
        var session = Started(hyperparameters);
        double? best = null;
        int sinceImprovement = 0;
        foreach (byte b in accuracyBytes)
        {
            double accuracy = b / 255.0;
            PlayRound(session);
            session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 1 - accuracy, accuracy, 100), hyperparameters);
            if (best is null || accuracy > best)
            {
                best = accuracy;
                sinceImprovement = 0;
            }
            else
            {
                sinceImprovement++;
            }

            bool stopped = _service.DecideAfterEvaluation(session, hyperparameters).Stop == StopReason.EarlyStopping;
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
        var hyperparameters = Valid(Hyperparameters.Defaults with { MaxSteps = 1_000_000, StepsPerChunk = 1, MonitorMetric = monitorLoss ? MonitorMetric.Loss : MonitorMetric.Accuracy });
        var session = Started(hyperparameters);
        double? previous = null;
        foreach (byte b in accuracyBytes)
        {
            PlayRound(session);
            session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, b / 100.0, b / 255.0, 100), hyperparameters);
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
        var hyperparameters = Valid(Hyperparameters.Defaults with
        {
            MaxSteps = 1_000_000,
            StepsPerChunk = 7,
            CheckpointIntervalSteps = 1 + (interval.Get % 40),
            KeepLastCheckpoints = 1 + (keep.Get % 4),
        });
        var session = Started(hyperparameters);
        foreach (byte b in accuracyBytes)
        {
            PlayRound(session);
            if (b % 3 == 0)
            {
                session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, 1, b / 255.0, 100), hyperparameters);
            }

            IReadOnlyList<CheckpointReference> pruned = _service.PlanRetention(session, hyperparameters);
            if (pruned.Contains(session.LatestCheckpoint!) || (session.BestCheckpoint is not null && pruned.Contains(session.BestCheckpoint)))
            {
                return false;
            }

            session.ForgetCheckpoints(pruned);
            if (session.HeldCheckpoints.Count > hyperparameters.KeepLastCheckpoints + 2)
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public bool SameInputs_AlwaysGiveTheSameDecisions(byte[] lossBytes, PositiveInt patience, bool stopRequested)
    {
        var hyperparameters = Valid(Hyperparameters.Defaults with
        {
            MaxSteps = 500, StepsPerChunk = 10, EvaluationIntervalSteps = 20, EarlyStoppingPatience = patience.Get % 4, PlateauPatience = 2, DivergenceFactor = 5,
        });

        return Decisions(hyperparameters, lossBytes, stopRequested).SequenceEqual(Decisions(hyperparameters, lossBytes, stopRequested));
    }

    private List<string> Decisions(Hyperparameters hyperparameters, byte[] lossBytes, bool stopRequested)
    {
        var session = Started(hyperparameters);
        var decisions = new List<string>();
        foreach (byte b in lossBytes)
        {
            double loss = b == 0 ? double.NaN : b / 50.0;
            RoundVerdict verdict = _service.JudgeRound(session, hyperparameters, Candidate(session, loss));
            decisions.Add(verdict.ToString());
            if (verdict.Kind != RoundVerdictKind.Accept || !PlayRound(session, loss))
            {
                break;
            }

            RoundDecision afterRound = _service.DecideAfterRound(session, hyperparameters, session.StepsDone, stopRequested);
            decisions.Add(afterRound.ToString());
            if (afterRound.Evaluate)
            {
                session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, loss, 1 / (1 + loss), 100), hyperparameters);
                decisions.Add(_service.DecideAfterEvaluation(session, hyperparameters).ToString());
            }

            decisions.Add(string.Join(",", _service.PlanRetention(session, hyperparameters)));
        }

        return decisions;
    }
}
