using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>Starts a training run in whatever engine hosts the orchestration.</summary>
public interface ITrainingRunStarter
{
    /// <summary>Schedules the run; returns false, scheduling nothing, when a run with that id already exists.</summary>
    Task<bool> TryScheduleAsync(TrainingRunInput input, CancellationToken cancellationToken = default);

    /// <summary>The run's runtime status as the engine names it (Running, Completed, Terminated, ...); null when no such run exists.</summary>
    Task<InstanceRuntimeStatus?> GetRuntimeStatusAsync(RunId runId, CancellationToken cancellationToken = default);
}
