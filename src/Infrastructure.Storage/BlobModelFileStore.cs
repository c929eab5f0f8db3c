using System.Collections.Concurrent;
using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// Model files as block blobs named as the file, in a private container (<c>models</c> by default). Any blob tool
/// may write them too. A read hashes the bytes it got, whoever wrote them; a worker keeps the files it has read and
/// asks the store only whether they changed (a conditional read by ETag), so every activity sees the current file
/// without downloading it again.
/// </summary>
public sealed class BlobModelFileStore(BlobContainerClient container) : IModelFileStore
{
    public const string DefaultContainerName = "models";
    private const int CachedFiles = 4;
    private readonly ConcurrentDictionary<string, (ETag ETag, ModelFileContent File)> _cache = new(StringComparer.Ordinal);
    private volatile bool _containerExists;

    /// <summary>The store in <paramref name="containerName"/> (or <c>models</c>) of the account that holds <paramref name="checkpoints"/>.</summary>
    public static BlobModelFileStore Beside(BlobContainerClient checkpoints, string? containerName = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return new BlobModelFileStore(checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(
            string.IsNullOrWhiteSpace(containerName) ? DefaultContainerName : containerName));
    }

    public string Location => container.Uri.ToString();

    public async Task<StoredModelFile> SaveAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (!_containerExists)
        {
            await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            _containerExists = true;
        }

        string hash = Convert.ToHexStringLower(SHA256.HashData(content.Span));
        // One upload: a single put, or blocks committed together at the end, so no reader ever sees half a file.
        await container.GetBlobClient(name).UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { [BlobCheckpointStore.HashMetadataKey] = hash },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        }, cancellationToken);
        return new StoredModelFile(name, hash, content.Length);
    }

    public async Task<long?> SizeOfAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await container.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    public async Task<ModelFileContent?> ReadAsync(string name, CancellationToken cancellationToken = default)
    {
        BlobClient blob = container.GetBlobClient(name);
        bool cached = _cache.TryGetValue(name, out var known);
        try
        {
            Response<BlobDownloadResult> download = await blob.DownloadContentAsync(new BlobDownloadOptions
            {
                Conditions = cached ? new BlobRequestConditions { IfNoneMatch = known.ETag } : null,
            }, cancellationToken);
            if (cached && download.GetRawResponse().Status == 304)
            {
                // Not modified since it was read: a response without a body, not an error.
                return known.File;
            }

            byte[] content = download.Value.Content.ToArray();
            var file = new ModelFileContent(name, content, Convert.ToHexStringLower(SHA256.HashData(content)));
            Remember(name, download.Value.Details.ETag, file);
            return file;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            _cache.TryRemove(name, out _);
            return null;
        }
    }

    private void Remember(string name, ETag etag, ModelFileContent file)
    {
        // A few files at most: a worker trains few models at once, and each may be large.
        while (_cache.Count >= CachedFiles && !_cache.ContainsKey(name) && _cache.Keys.FirstOrDefault() is { } evicted)
        {
            _cache.TryRemove(evicted, out _);
        }

        _cache[name] = (etag, file);
    }
}
