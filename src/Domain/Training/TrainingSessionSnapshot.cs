namespace DurableTrainer.Domain.Training;

/// <summary>A checkpoint the session still holds, and whether it was kept because it crossed a checkpoint interval.</summary>
public sealed record HeldCheckpoint(CheckpointReference Checkpoint, long StepsDone, bool AtInterval, long Round = 0);

/// <summary>
/// Everything a session needs to carry on elsewhere: what a durable orchestration hands to its next execution when
/// it continues as new. Bounded in size whatever the length of the run.
/// </summary>
public sealed record TrainingSessionSnapshot(
    RunId RunId,
    TrainingStatus Status,
    TrainingPlan? Plan,
    DateTime StartedAtUtc,
    long RoundsDone,
    long StepsDone,
    long SamplesSeen,
    double TrainingSeconds,
    CheckpointReference? LatestCheckpoint,
    IReadOnlyList<RoundMetrics> RecentRounds,
    IReadOnlyList<EvaluationMetrics> RecentEvaluations,
    EvaluationMetrics? BestEvaluation,
    CheckpointReference? BestCheckpoint,
    double? BestMetric,
    double? BestTrainingLoss,
    int EvaluationsSinceImprovement,
    int EvaluationsSinceLearningRateChange,
    double LearningRateScale,
    int RollbacksUsed,
    IReadOnlyList<HeldCheckpoint> HeldCheckpoints,
    StopReason? StopReason,
    string? FailureReason);
