using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Events;

/// <summary>Something that happened to a training session; raised only when the session's state really changed.</summary>
public abstract record TrainingEvent(string RunId);

public sealed record TrainingStarted(string RunId, TrainingPlan Plan) : TrainingEvent(RunId);

public sealed record ChunkCompleted(string RunId, RoundMetrics Metrics, CheckpointReference Checkpoint) : TrainingEvent(RunId);

public sealed record EvaluationCompleted(string RunId, EvaluationMetrics Metrics, bool IsBest) : TrainingEvent(RunId);

/// <summary>A checkpoint of a finished run was measured on the test split: the final one, or the best by validation.</summary>
public sealed record TestEvaluated(string RunId, EvaluationMetrics Metrics, CheckpointReference Checkpoint, bool OfBest) : TrainingEvent(RunId);

public sealed record CheckpointSaved(string RunId, CheckpointReference Checkpoint, long StepsDone) : TrainingEvent(RunId);

public sealed record LearningRateAdjusted(string RunId, double PreviousScale, double Scale, string Reason) : TrainingEvent(RunId);

public sealed record RolledBack(string RunId, CheckpointReference To, long StepsDone, double LearningRateScale, string Reason) : TrainingEvent(RunId);

public sealed record TrainingStopped(string RunId, StopReason Reason, long StepsDone) : TrainingEvent(RunId);

public sealed record TrainingCompleted(string RunId, StopReason Reason, long StepsDone) : TrainingEvent(RunId);

public sealed record TrainingFailed(string RunId, string Reason) : TrainingEvent(RunId);
