namespace DurableTrainer.Domain.Training;

/// <summary>
/// How a run is cut into rounds. A round is one chunk of <see cref="StepsPerChunk"/> optimizer steps on each of
/// <see cref="Replicas"/> replicas; <see cref="TotalSteps"/> counts steps over all replicas, so the total number of
/// samples seen is <c>TotalSteps * BatchSize</c> whatever the replica count (<see cref="BatchSize"/> is the effective batch:
/// the micro-batch times the gradient accumulation steps). With <see cref="TargetChunkSeconds"/>, the first round
/// runs <see cref="StepsPerChunk"/> steps and later rounds are sized from the measured rate to last about that long.
/// </summary>
public sealed record TrainingPlan(
    long TotalSteps,
    int StepsPerChunk,
    int Replicas,
    long StepsPerEpoch,
    int BatchSize,
    int TrainExamples,
    int EvaluationIntervalSteps,
    int CheckpointIntervalSteps,
    double? TargetChunkSeconds = null)
{
    /// <summary>The most steps one replica runs in a round, however fast it measured.</summary>
    public const int MaxStepsPerChunk = 100_000;

    public long StepsPerRound => (long)StepsPerChunk * Replicas;

    /// <summary>The number of rounds at <see cref="StepsPerChunk"/>; with a target chunk time, the count before the rate is known.</summary>
    public long Rounds => (TotalSteps + StepsPerRound - 1) / StepsPerRound;
}
