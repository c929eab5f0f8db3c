using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Events;

/// <summary>Something that happened to a training session; raised only when the session's state really changed.</summary>
public abstract record TrainingEvent(RunId RunId);

public sealed record TrainingStarted(RunId RunId, TrainingPlan Plan) : TrainingEvent(RunId);

public sealed record ChunkCompleted(RunId RunId, RoundMetrics Metrics, CheckpointReference Checkpoint) : TrainingEvent(RunId);

public sealed record EvaluationCompleted(RunId RunId, EvaluationMetrics Metrics, bool IsBest) : TrainingEvent(RunId);

/// <summary>A checkpoint of a finished run was measured on the test split: the final one, or the best by validation.</summary>
public sealed record TestEvaluated(RunId RunId, EvaluationMetrics Metrics, CheckpointReference Checkpoint, bool OfBest) : TrainingEvent(RunId);

public sealed record CheckpointSaved(RunId RunId, CheckpointReference Checkpoint, long StepsDone) : TrainingEvent(RunId);

public sealed record LearningRateAdjusted(RunId RunId, double PreviousScale, double Scale, string Reason) : TrainingEvent(RunId);

public sealed record RolledBack(RunId RunId, CheckpointReference To, long StepsDone, double LearningRateScale, string Reason) : TrainingEvent(RunId);

public sealed record TrainingStopped(RunId RunId, StopReason Reason, long StepsDone) : TrainingEvent(RunId);

public sealed record TrainingCompleted(RunId RunId, StopReason Reason, long StepsDone) : TrainingEvent(RunId);

public sealed record TrainingFailed(RunId RunId, string Reason) : TrainingEvent(RunId);
