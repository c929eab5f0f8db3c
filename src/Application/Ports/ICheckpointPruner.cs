using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>Deletes checkpoints the domain no longer needs. Idempotent: deleting a missing checkpoint is not an error.</summary>
public interface ICheckpointPruner
{
    Task PruneAsync(IReadOnlyList<CheckpointReference> checkpoints, CancellationToken cancellationToken = default);
}
