using System.Collections.Concurrent;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.TestSupport;

/// <summary>A dataset store in memory, for tests of one layer: containers of files by path, listed in name order.</summary>
public sealed class InMemoryDatasetStore : IDatasetStore
{
    private readonly ConcurrentDictionary<(string Container, string Path), byte[]> _files = new();

    private readonly ConcurrentDictionary<(string Container, string Path), long> _listedBytes = new();

    private int _reads;

    /// <summary>How many times a file was read (shards are read from background loads, so this counts atomically).</summary>
    public int Reads => _reads;

    public string LocationOf(string container) => $"memory://{container}";

    public void Put(string path, byte[] content, string container = "datasets") => _files[(container, path)] = content;

    public void Put(string path, string text, string container = "datasets") => Put(path, System.Text.Encoding.UTF8.GetBytes(text), container);

    /// <summary>A file the listing reports as <paramref name="listedBytes"/> long, for limits on file sizes, without holding that many bytes.</summary>
    public void PutListedAs(string path, long listedBytes, string text, string container = "datasets")
    {
        Put(path, text, container);
        _listedBytes[(container, path)] = listedBytes;
    }

    public void Remove(string path, string container = "datasets")
    {
        _files.TryRemove((container, path), out _);
        _listedBytes.TryRemove((container, path), out _);
    }

    /// <summary>Every file of <paramref name="container"/>, to copy into another store (another process's view of the same account).</summary>
    public IEnumerable<(string Path, byte[] Content)> Files(string container = "datasets") =>
        _files.Where(file => file.Key.Container == container).Select(file => (file.Key.Path, file.Value)).ToArray();

    public bool Contains(string path, string container = "datasets") => _files.ContainsKey((container, path));

    public Task<IReadOnlyList<DatasetFileInfo>> ListAsync(string container, string prefix, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DatasetFileInfo>>(_files
            .Where(file => file.Key.Container == container && file.Key.Path.StartsWith(prefix, StringComparison.Ordinal))
            .Select(file => new DatasetFileInfo(file.Key.Path, _listedBytes.TryGetValue(file.Key, out long listed) ? listed : file.Value.Length, Version(file.Value)))
            .OrderBy(file => file.Path, StringComparer.Ordinal)
            .ToArray());

    // The content's hash stands for a blob's ETag: it changes whenever the file does.
    private static string Version(byte[] content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16];

    public Task<byte[]?> ReadAsync(string container, string path, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        return Task.FromResult(_files.TryGetValue((container, path), out byte[]? content) ? content : null);
    }

    public Task<DatasetFileInfo> SaveAsync(string container, string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        _files[(container, path)] = content.ToArray();
        _listedBytes.TryRemove((container, path), out _);
        return Task.FromResult(new DatasetFileInfo(path, content.Length));
    }
}
