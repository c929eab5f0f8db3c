using System.Collections.Concurrent;
using System.Security.Cryptography;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.TestSupport;

/// <summary>A model store in memory, for tests of one layer; the blob store has its own tests against Azurite.</summary>
public sealed class InMemoryModelFileStore : IModelFileStore
{
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public string Location => "memory://models";

    public IReadOnlyCollection<string> Names => _files.Keys.ToArray();

    public Task<StoredModelFile> SaveAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        _files[name] = content.ToArray();
        return Task.FromResult(new StoredModelFile(name, Convert.ToHexStringLower(SHA256.HashData(content.Span)), content.Length));
    }

    public Task<long?> SizeOfAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_files.TryGetValue(name, out byte[]? content) ? (long?)content.Length : null);

    public Task<ModelFileContent?> ReadAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_files.TryGetValue(name, out byte[]? content) ? new ModelFileContent(name, content, Convert.ToHexStringLower(SHA256.HashData(content))) : null);

    public void Delete(string name) => _files.TryRemove(name, out _);
}
