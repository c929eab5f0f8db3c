using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

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

    public const string DefaultContainerName = "metrics";

    public static string BlobName(RunId runId) => $"{runId}/metrics.jsonl";

    /// <summary>A journal in a container of the same account (and credential) as <paramref name="checkpoints"/>.</summary>
    public static BlobTrainingJournal Beside(BlobContainerClient checkpoints, string? containerName = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return new BlobTrainingJournal(checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(string.IsNullOrWhiteSpace(containerName) ? DefaultContainerName : containerName));
    }

    public async Task AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        AppendBlobClient blob = container.GetAppendBlobClient(BlobName(runId));
        foreach (byte[] block in Blocks(records))
        {
            await AppendBlockAsync(blob, block, cancellationToken);
        }
    }

    /// <summary>The records as UTF-8 blocks of whole lines, each at most <see cref="MaxBlockBytes"/> (unless one line is longer).</summary>
    private static IEnumerable<byte[]> Blocks(IReadOnlyList<TrainingJournalRecord> records)
    {
        using var block = new MemoryStream();
        foreach (TrainingJournalRecord record in records)
        {
            byte[] line = Encoding.UTF8.GetBytes(TrainingJournalFormat.Write([record]));
            if (block.Length > 0 && block.Length + line.Length > MaxBlockBytes)
            {
                yield return block.ToArray();
                block.SetLength(0);
            }

            block.Write(line);
        }

        yield return block.ToArray();
    }

    /// <summary>
    /// The cursor is a byte offset into the append blob. Every block ends a line, so the bytes from one block's
    /// start to the blob's end are whole records; the next cursor is the offset after the last newline read.
    /// </summary>
    public async Task<TrainingJournalPage> ReadAsync(RunId runId, long cursor = 0, CancellationToken cancellationToken = default)
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

    /// <summary>
    /// Appends one block. The blob is created on the first append that finds it missing rather than checked before
    /// every append: a chunk's step records are appended on the way from its last step to the orchestrator, where a
    /// round trip more per chunk is time every round waits for.
    /// </summary>
    private async Task AppendBlockAsync(AppendBlobClient blob, byte[] block, CancellationToken cancellationToken)
    {
        try
        {
            await AppendAsync();
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            await EnsureBlobAsync(blob, cancellationToken);
            await AppendAsync();
        }

        async Task AppendAsync()
        {
            using var content = new MemoryStream(block, writable: false);
            await blob.AppendBlockAsync(content, cancellationToken: cancellationToken);
        }
    }

    private async Task EnsureBlobAsync(AppendBlobClient blob, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);

        // Creates the blob only if it is missing; an existing journal is never truncated.
        await blob.CreateIfNotExistsAsync(new AppendBlobCreateOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" } }, cancellationToken);
    }
}
