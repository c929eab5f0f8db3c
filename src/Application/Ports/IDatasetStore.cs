namespace DurableTrainer.Application.Ports;

/// <summary>
/// Where users' data lives: blob containers (a private <c>datasets</c> container by default, or any the worker's
/// identity can read). Paths are validated by the data section before they reach here, so they cannot leave a container.
/// </summary>
public interface IDatasetStore
{
    /// <summary>Where a container is, for messages (its URL).</summary>
    string LocationOf(string container);

    /// <summary>The files under <paramref name="prefix"/> (a folder ending in '/', or one file's exact path), in name order; empty when none.</summary>
    Task<IReadOnlyList<DatasetFileInfo>> ListAsync(string container, string prefix, CancellationToken cancellationToken = default);

    /// <summary>The file's bytes; null when there is no such file.</summary>
    Task<byte[]?> ReadAsync(string container, string path, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, replacing any earlier file there.</summary>
    Task<DatasetFileInfo> SaveAsync(string container, string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);
}

/// <summary>
/// A data file: its path in the container, its size, and the store's version of its content (a blob's ETag), which
/// changes whenever the file is written.
/// </summary>
public sealed record DatasetFileInfo(string Path, long Bytes, string? Version = null);

/// <summary>
/// A run's data is gone, changed since the run pinned it, or unreadable (a ragged row, a corrupt image). Retrying
/// cannot help, so the durable engine does not retry it and the run fails with this message.
/// </summary>
public sealed class DatasetException(string message) : Exception(message);

/// <summary>How much data a run may hold in one worker's memory (or, sharded, stream through it), and how large one uploaded file may be.</summary>
public static class DatasetLimits
{
    public const long MaxBytes = 2L * 1024 * 1024 * 1024;
    public const long MaxShardBytes = 512L * 1024 * 1024;
    public const long MaxShardedBytes = 16L * 1024 * 1024 * 1024 * 1024;
    public const int MaxUploadBytes = 256 * 1024 * 1024;
    public const int MaxFiles = 200_000;

    public static string UploadRule => $"must be at most {MaxUploadBytes} bytes ({MaxUploadBytes / (1024 * 1024)} MiB) per file";
}
