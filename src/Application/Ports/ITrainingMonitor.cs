using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Application.Ports;

/// <summary>Receives progress. Called from orchestration code, so implementations must not do I/O of their own.</summary>
public interface ITrainingMonitor
{
    void Report(TrainingProgress progress);
}
