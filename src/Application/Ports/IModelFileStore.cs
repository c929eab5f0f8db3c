namespace DurableTrainer.Application.Ports;

/// <summary>
/// Where users' model files (TorchScript) live: a private <c>models</c> container by default. A file is written
/// whole or not at all, and read back with its SHA-256, so a run can pin the version it was submitted with.
/// </summary>
public interface IModelFileStore
{
    /// <summary>Where the files are, for messages (the container's URL).</summary>
    string Location { get; }

    /// <summary>Writes <paramref name="content"/> under <paramref name="name"/>, replacing any earlier file of that name.</summary>
    Task<StoredModelFile> SaveAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>The file's size without reading it; null when there is no such file.</summary>
    Task<long?> SizeOfAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The file's content and SHA-256; null when there is no such file.</summary>
    Task<ModelFileContent?> ReadAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A file as stored: its name, the SHA-256 (lower-case hex) of its content, and its size.</summary>
public sealed record StoredModelFile(string Name, string Sha256, long Bytes);

/// <summary>A file's bytes with their SHA-256 (lower-case hex), computed from the bytes read.</summary>
public sealed record ModelFileContent(string Name, byte[] Content, string Sha256);

/// <summary>
/// A run's model file is gone, has changed since the run pinned it, or cannot be used. Retrying cannot help, so the
/// durable engine does not retry it and the run fails with this message.
/// </summary>
public sealed class ModelFileException(string message) : Exception(message);

/// <summary>How large a model file may be: one file is read whole into every activity that trains it.</summary>
public static class ModelFileLimits
{
    public const int MaxBytes = 64 * 1024 * 1024;

    public static string Rule => $"must be at most {MaxBytes} bytes ({MaxBytes / (1024 * 1024)} MiB)";
}
