using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>Prunes checkpoints from the checkpoint store (run as an activity in the durable host).</summary>
public sealed class CheckpointPruner(ICheckpointStore store) : ICheckpointPruner
{
    public async Task PruneAsync(IReadOnlyList<CheckpointReference> checkpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        foreach (CheckpointReference checkpoint in checkpoints)
        {
            await store.DeleteAsync(checkpoint, cancellationToken);
        }
    }
}
