using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Lets a long run restart its host-side execution with compact state so its history stays small (durable
/// orchestrations: continue-as-new). After calling it the loop returns at once.
/// </summary>
public interface ITrainingContinuation
{
    void ContinueAsNew(TrainingRunInput next);
}
