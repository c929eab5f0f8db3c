using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Stores checkpoints as opaque bytes by reference. A save is whole or nothing and records a content hash; a load
/// checks it and throws <see cref="CheckpointCorruptException"/> on mismatch.
/// </summary>
public interface ICheckpointStore
{
    Task SaveAsync(CheckpointReference reference, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    Task<byte[]> LoadAsync(CheckpointReference reference, CancellationToken cancellationToken = default);

    /// <summary>Deletes the checkpoint if it exists; deleting a missing one is not an error.</summary>
    Task DeleteAsync(CheckpointReference reference, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(CheckpointReference reference, CancellationToken cancellationToken = default);

    /// <summary>Where a person or tool can find the checkpoint (for example a blob URI).</summary>
    string Describe(CheckpointReference reference);
}

public sealed class CheckpointNotFoundException(CheckpointReference reference)
    : Exception($"Checkpoint {reference} does not exist.")
{
    public CheckpointReference Reference { get; } = reference;
}

public sealed class CheckpointCorruptException : Exception
{
    public CheckpointCorruptException(CheckpointReference reference, string why)
        : base($"Checkpoint {reference} is corrupt: {why}")
    {
        Reference = reference;
    }

    private CheckpointCorruptException(CheckpointReference reference, string message, bool _)
        : base(message)
    {
        Reference = reference;
    }

    public CheckpointReference Reference { get; }

    /// <summary>Rebuilds the exception from a message that already says which checkpoint and why (as a failed activity reports it).</summary>
    public static CheckpointCorruptException FromMessage(CheckpointReference reference, string message) => new(reference, message, true);
}
