using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Application.Ports;

/// <summary>Starts a training run in whatever engine hosts the orchestration.</summary>
public interface ITrainingRunScheduler
{
    /// <summary>Schedules the run; returns false, scheduling nothing, when a run with that id already exists.</summary>
    Task<bool> TryScheduleAsync(TrainingRunInput input, CancellationToken cancellationToken = default);
}
