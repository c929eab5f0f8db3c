using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// Checkpoints as block blobs named <c>{runId}/{name}.ckpt</c> in one private container. An upload is a single
/// put (or a block list committed at the end), so a reader sees the whole old blob or the whole new one, never a
/// mix. The SHA-256 of the content goes in the blob's metadata and is checked on every load.
/// </summary>
public sealed class BlobCheckpointStore(BlobContainerClient container) : ICheckpointStore
{
    public const string HashMetadataKey = "sha256";
    private volatile bool _containerExists;

    public static string BlobName(CheckpointReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return $"{reference.RunId}/{reference.Name}.ckpt";
    }

    public async Task SaveAsync(CheckpointReference reference, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync(cancellationToken);
        string hash = Convert.ToHexStringLower(SHA256.HashData(content.Span));
        var options = new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { [HashMetadataKey] = hash },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        };
        await container.GetBlobClient(BlobName(reference)).UploadAsync(new BinaryData(content), options, cancellationToken);
    }

    public async Task<byte[]> LoadAsync(CheckpointReference reference, CancellationToken cancellationToken = default)
    {
        BlobClient blob = container.GetBlobClient(BlobName(reference));
        Response<BlobDownloadResult> download;
        try
        {
            download = await blob.DownloadContentAsync(cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            throw new CheckpointNotFoundException(reference);
        }

        byte[] content = download.Value.Content.ToArray();
        if (!download.Value.Details.Metadata.TryGetValue(HashMetadataKey, out string? expected))
        {
            throw new CheckpointCorruptException(reference, "it has no recorded SHA-256, so its content cannot be trusted");
        }

        string actual = Convert.ToHexStringLower(SHA256.HashData(content));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new CheckpointCorruptException(reference, $"its SHA-256 is {actual} but {expected} was recorded when it was written");
        }

        return content;
    }

    public async Task DeleteAsync(CheckpointReference reference, CancellationToken cancellationToken = default) =>
        await container.GetBlobClient(BlobName(reference)).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    public async Task<bool> ExistsAsync(CheckpointReference reference, CancellationToken cancellationToken = default) =>
        (await container.GetBlobClient(BlobName(reference)).ExistsAsync(cancellationToken)).Value;

    public string Describe(CheckpointReference reference) => container.GetBlobClient(BlobName(reference)).Uri.ToString();

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (_containerExists)
        {
            return;
        }

        // Idempotent, so concurrent first saves may both call it. PublicAccessType.None: never readable anonymously.
        await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
        _containerExists = true;
    }
}
