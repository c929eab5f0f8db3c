namespace DurableTrainer.Domain.Training;

/// <summary>
/// How a run is cut into rounds. A round is one chunk of <see cref="StepsPerChunk"/> optimizer steps on each of
/// <see cref="Replicas"/> replicas; <see cref="TotalSteps"/> counts steps over all replicas, so the total number of
/// samples seen is <c>TotalSteps * BatchSize</c> whatever the replica count (<see cref="BatchSize"/> is the effective batch:
/// the micro-batch times the gradient accumulation steps).
/// </summary>
public sealed record TrainingPlan(
    long TotalSteps,
    int StepsPerChunk,
    int Replicas,
    long StepsPerEpoch,
    int BatchSize,
    int TrainExamples,
    int EvaluationIntervalSteps,
    int CheckpointIntervalSteps)
{
    public long StepsPerRound => (long)StepsPerChunk * Replicas;

    public long Rounds => (TotalSteps + StepsPerRound - 1) / StepsPerRound;
}
