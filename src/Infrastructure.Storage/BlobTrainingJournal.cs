using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// A run's journal as one append blob, <c>{runId}/metrics.jsonl</c>, in a private container of its own (by default
/// <c>metrics</c>, beside the checkpoint container, so checkpoint listings hold checkpoints only). Each append is one
/// block (whole lines, committed atomically), so a reader never sees half a record; retried appends duplicate
/// records, which <see cref="TrainingJournalFormat.Read"/> removes.
/// </summary>
public sealed class BlobTrainingJournal(BlobContainerClient container) : ITrainingJournal, ITrainingJournalReader
{
    /// <summary>Below the 4 MiB block limit, leaving room for the last record of a batch.</summary>
    private const int MaxBlockBytes = 3 * 1024 * 1024;

    private volatile bool _containerExists;

    public const string DefaultContainerName = "metrics";

    public static string BlobName(string runId) => $"{runId}/metrics.jsonl";

    /// <summary>A journal in a container of the same account (and credential) as <paramref name="checkpoints"/>.</summary>
    public static BlobTrainingJournal Beside(BlobContainerClient checkpoints, string? containerName = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return new BlobTrainingJournal(checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(string.IsNullOrWhiteSpace(containerName) ? DefaultContainerName : containerName));
    }

    public async Task AppendAsync(string runId, IReadOnlyList<TrainingJournalRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        AppendBlobClient blob = container.GetAppendBlobClient(BlobName(runId));
        await EnsureBlobAsync(blob, cancellationToken);
        var block = new StringBuilder();
        foreach (TrainingJournalRecord record in records)
        {
            string line = TrainingJournalFormat.Write([record]);
            if (block.Length > 0 && Encoding.UTF8.GetByteCount(block.ToString()) + Encoding.UTF8.GetByteCount(line) > MaxBlockBytes)
            {
                await AppendBlockAsync(blob, block.ToString(), cancellationToken);
                block.Clear();
            }

            block.Append(line);
        }

        await AppendBlockAsync(blob, block.ToString(), cancellationToken);
    }

    /// <summary>
    /// The cursor is a byte offset into the append blob. Every block ends a line, so the bytes from one block's
    /// start to the blob's end are whole records; the next cursor is the offset after the last newline read.
    /// </summary>
    public async Task<TrainingJournalPage> ReadAsync(string runId, long cursor = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cursor);
        BlobClient blob = container.GetBlobClient(BlobName(runId));
        try
        {
            BlobDownloadResult download = (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(cursor) }, cancellationToken)).Value;
            byte[] bytes = download.Content.ToArray();
            int whole = Array.LastIndexOf(bytes, (byte)'\n') + 1;
            return new TrainingJournalPage(TrainingJournalFormat.Read(Encoding.UTF8.GetString(bytes, 0, whole)), cursor + whole);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return new TrainingJournalPage([], 0);
        }
        catch (RequestFailedException exception) when (exception.Status == 416)
        {
            // The range starts at or past the end: nothing was written since.
            return new TrainingJournalPage([], cursor);
        }
    }

    private static async Task AppendBlockAsync(AppendBlobClient blob, string text, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await blob.AppendBlockAsync(content, cancellationToken: cancellationToken);
    }

    private async Task EnsureBlobAsync(AppendBlobClient blob, CancellationToken cancellationToken)
    {
        if (!_containerExists)
        {
            await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            _containerExists = true;
        }

        // Creates the blob only if it is missing; an existing journal is never truncated.
        await blob.CreateIfNotExistsAsync(new AppendBlobCreateOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" } }, cancellationToken);
    }
}
