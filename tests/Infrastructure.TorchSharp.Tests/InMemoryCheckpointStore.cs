using System.Collections.Concurrent;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>A checkpoint store in memory, for testing the executor on its own (the blob store has its own tests).</summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    public ConcurrentDictionary<CheckpointReference, byte[]> Blobs { get; } = new();

    public Task SaveAsync(CheckpointReference reference, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        Blobs[reference] = content.ToArray();
        return Task.CompletedTask;
    }

    public Task<byte[]> LoadAsync(CheckpointReference reference, CancellationToken cancellationToken = default) =>
        Blobs.TryGetValue(reference, out byte[]? content)
            ? Task.FromResult(content.ToArray())
            : throw new CheckpointNotFoundException(reference);

    public Task DeleteAsync(CheckpointReference reference, CancellationToken cancellationToken = default)
    {
        Blobs.TryRemove(reference, out _);
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(CheckpointReference reference, CancellationToken cancellationToken = default) =>
        Task.FromResult(Blobs.ContainsKey(reference));

    public string Describe(CheckpointReference reference) => "memory:" + reference;
}
