using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Finds a finished run's checkpoint for a new run to start from (<c>model.initFrom.run</c>): the one it ended on or
/// its best, with the specification it was trained under. The host's run client answers it.
/// </summary>
public interface IRunCheckpoints
{
    Task<RunCheckpointLookup> FindAsync(RunId run, CheckpointChoice which, CancellationToken cancellationToken = default);
}

/// <summary>Whether a run's checkpoint was found.</summary>
public enum RunCheckpointState
{
    Found,

    /// <summary>No run has that id.</summary>
    NoSuchRun,

    /// <summary>The run exists but has no such checkpoint (yet): it is running, failed early, or was never better than its start.</summary>
    NoCheckpoint,
}

/// <summary>What <see cref="IRunCheckpoints.FindAsync"/> found; <see cref="RunStatus"/> says what the run is doing when it has no checkpoint.</summary>
public sealed record RunCheckpointLookup(RunCheckpointState State, CheckpointReference? Checkpoint = null, TrainingSpecification? Specification = null, string? RunStatus = null)
{
    public static RunCheckpointLookup NoSuchRun { get; } = new(RunCheckpointState.NoSuchRun);

    public static RunCheckpointLookup Missing(string runStatus) => new(RunCheckpointState.NoCheckpoint, RunStatus: runStatus);

    public static RunCheckpointLookup Found(CheckpointReference checkpoint, TrainingSpecification specification) => new(RunCheckpointState.Found, checkpoint, specification);
}
