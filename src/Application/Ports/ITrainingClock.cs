namespace DurableTrainer.Application.Ports;

/// <summary>The time as the training loop may read it: in a durable orchestration, the replay-safe orchestration time.</summary>
public interface ITrainingClock
{
    DateTime UtcNow { get; }
}
