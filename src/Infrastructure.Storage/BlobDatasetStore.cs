using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// Users' data as blobs, in any container of the account that holds the checkpoints (a private <c>datasets</c>
/// container by default). A folder is a name prefix; files are listed in name order, so every worker reads a
/// multi-file dataset in the same order.
/// </summary>
public sealed class BlobDatasetStore(BlobServiceClient account) : IDatasetStore
{
    private readonly ConcurrentDictionary<string, bool> _created = new(StringComparer.Ordinal);

    public static BlobDatasetStore Beside(BlobContainerClient checkpoints)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return new BlobDatasetStore(checkpoints.GetParentBlobServiceClient());
    }

    public string LocationOf(string container) => account.GetBlobContainerClient(container).Uri.ToString();

    public async Task<IReadOnlyList<DatasetFileInfo>> ListAsync(string container, string prefix, CancellationToken cancellationToken = default)
    {
        var files = new List<DatasetFileInfo>();
        try
        {
            await foreach (BlobItem blob in account.GetBlobContainerClient(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
            {
                files.Add(new DatasetFileInfo(blob.Name, blob.Properties.ContentLength ?? 0, blob.Properties.ETag?.ToString()));
            }
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return [];
        }

        return files.OrderBy(file => file.Path, StringComparer.Ordinal).ToArray();
    }

    public async Task<byte[]?> ReadAsync(string container, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            Response<BlobDownloadResult> download = await account.GetBlobContainerClient(container).GetBlobClient(path).DownloadContentAsync(cancellationToken);
            return download.Value.Content.ToArray();
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    public async Task<DatasetFileInfo> SaveAsync(string container, string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        BlobContainerClient client = account.GetBlobContainerClient(container);
        if (!_created.ContainsKey(container))
        {
            await client.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            _created[container] = true;
        }

        // One upload: a single put, or blocks committed together at the end, so no reader ever sees half a file.
        Response<BlobContentInfo> uploaded = await client.GetBlobClient(path).UploadAsync(new BinaryData(content), overwrite: true, cancellationToken);
        return new DatasetFileInfo(path, content.Length, uploaded.Value.ETag.ToString());
    }
}
