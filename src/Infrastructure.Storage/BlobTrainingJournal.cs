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
/// block (whole lines, committed atomically), so a reader never sees half a record. A block is appended at the
/// position the writer expects the blob's end to be: when the storage SDK retries an append whose answer was lost, the
/// retry finds the blob's end moved, sees its own block there and stops, so the block is written once. An append with
/// <see cref="JournalAppendOnce"/> also leaves out what an earlier run of the activity that makes it wrote (see
/// ADR 0025), so the raw blob holds each record once, as a calm run's does.
/// </summary>
public sealed class BlobTrainingJournal(BlobContainerClient container) : ITrainingJournal, ITrainingJournalReader
{
    /// <summary>Below the 4 MiB block limit, leaving room for the last record of a batch.</summary>
    private const int MaxBlockBytes = 3 * 1024 * 1024;

    /// <summary>Writers of one journal race only between a few replicas' chunks; more refusals in a row than this is a bug.</summary>
    private const int MaxAppendAttempts = 20;

    public const string DefaultContainerName = "metrics";

    // Where this process last saw each journal end, so an append needs no round trip to find it; another writer's
    // append in between only costs a refusal and a look.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _ends = new(StringComparer.Ordinal);

    public static string BlobName(RunId runId) => $"{runId}/metrics.jsonl";

    /// <summary>A journal in a container of the same account (and credential) as <paramref name="checkpoints"/>.</summary>
    public static BlobTrainingJournal Beside(BlobContainerClient checkpoints, string? containerName = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return new BlobTrainingJournal(checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(string.IsNullOrWhiteSpace(containerName) ? DefaultContainerName : containerName));
    }

    public async Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        AppendBlobClient blob = container.GetAppendBlobClient(BlobName(runId));
        if (once is not null)
        {
            return await AppendOnceAsync(blob, records, once, cancellationToken);
        }

        if (records.Count == 0)
        {
            return _ends.TryGetValue(blob.Name, out long known) ? known : await EndOfAsync(blob, cancellationToken);
        }

        List<(string Line, TrainingJournalRecord Record)> pending = Lines(records);
        while (pending.Count > 0)
        {
            await AppendBlockAsync(blob, FirstBlock(pending, out int count), cancellationToken);
            pending.RemoveRange(0, count);
        }

        return _ends[blob.Name];
    }

    /// <summary>
    /// Reads what was written since <see cref="JournalAppendOnce.From"/>, leaves out what is there already, and
    /// appends the rest at the end it read up to. A refusal (the end moved: another writer, or this append's own
    /// earlier try whose answer was lost) reads on from there and leaves out what it finds, so nothing lands twice.
    /// </summary>
    private async Task<long> AppendOnceAsync(AppendBlobClient blob, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce once, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(once.From);
        List<(string Line, TrainingJournalRecord Record)> pending = Lines(records);
        long from = once.From;
        for (int attempt = 1; ; attempt++)
        {
            (string written, long end) = await WrittenSinceAsync(blob, from, cancellationToken);
            RemoveWritten(pending, written, once.Duplicates);
            if (pending.Count == 0)
            {
                _ends[blob.Name] = end;
                return end;
            }

            byte[] block = FirstBlock(pending, out int count);
            try
            {
                using var content = new MemoryStream(block, writable: false);
                await blob.AppendBlockAsync(
                    content,
                    new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = end } },
                    cancellationToken);
                pending.RemoveRange(0, count);
                from = end + block.Length;
                if (pending.Count == 0)
                {
                    _ends[blob.Name] = from;
                    return from;
                }
            }
            catch (RequestFailedException exception) when (exception.ErrorCode == BlobErrorCode.AppendPositionConditionNotMet && attempt < MaxAppendAttempts)
            {
                from = end;
            }
        }
    }

    /// <summary>The whole lines written at or after <paramref name="from"/>, and where they end (creating the journal when missing).</summary>
    private async Task<(string Written, long End)> WrittenSinceAsync(AppendBlobClient blob, long from, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult download = (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(from) }, cancellationToken)).Value;
            byte[] bytes = download.Content.ToArray();
            int whole = Array.LastIndexOf(bytes, (byte)'\n') + 1;
            return (Encoding.UTF8.GetString(bytes, 0, whole), from + whole);
        }
        catch (RequestFailedException exception) when (exception.Status == 416)
        {
            // Nothing at or after the cursor: it is the end, unless the journal was purged and written anew since.
            long end = await EndOfAsync(blob, cancellationToken);
            return end >= from ? (string.Empty, from) : await WrittenSinceAsync(blob, 0, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return (string.Empty, await EndOfAsync(blob, cancellationToken));
        }
    }

    private static void RemoveWritten(List<(string Line, TrainingJournalRecord Record)> pending, string written, JournalDuplicate duplicates)
    {
        if (written.Length == 0)
        {
            return;
        }

        if (duplicates == JournalDuplicate.SameRecord)
        {
            var lines = TrainingJournalFormat.Lines(written).Select(line => line.Line + "\n").ToHashSet(StringComparer.Ordinal);
            pending.RemoveAll(entry => lines.Contains(entry.Line));
        }
        else
        {
            var identities = TrainingJournalFormat.Lines(written).Select(line => line.Record.Identity).ToHashSet();
            pending.RemoveAll(entry => identities.Contains(entry.Record.Identity));
        }
    }

    /// <summary>The first block of <paramref name="pending"/>'s lines, and how many lines it holds.</summary>
    private static byte[] FirstBlock(List<(string Line, TrainingJournalRecord Record)> pending, out int count)
    {
        using var block = new MemoryStream();
        count = 0;
        foreach ((string line, _) in pending)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            if (count > 0 && block.Length + bytes.Length > MaxBlockBytes)
            {
                break;
            }

            block.Write(bytes);
            count++;
        }

        return block.ToArray();
    }

    /// <summary>Each record with its line (newline included) as the journal holds it.</summary>
    private static List<(string Line, TrainingJournalRecord Record)> Lines(IReadOnlyList<TrainingJournalRecord> records) =>
        records.Select(record => (TrainingJournalFormat.Write([record]), record)).ToList();

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
    /// Appends one block at the end this process expects, found once per journal (created when missing) and then
    /// carried from each append's answer. A refusal because the end moved means either that an earlier try of this
    /// very append landed and its answer was lost (its bytes are there: done), or that another writer appended (look
    /// up the end, try again).
    /// </summary>
    private async Task AppendBlockAsync(AppendBlobClient blob, byte[] block, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            long position = _ends.TryGetValue(blob.Name, out long known) ? known : await EndOfAsync(blob, cancellationToken);
            try
            {
                using var content = new MemoryStream(block, writable: false);
                BlobAppendInfo appended = (await blob.AppendBlockAsync(
                    content,
                    new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = position } },
                    cancellationToken)).Value;
                _ends[blob.Name] = long.Parse(appended.BlobAppendOffset, System.Globalization.CultureInfo.InvariantCulture) + block.Length;
                return;
            }
            catch (RequestFailedException exception) when (exception.ErrorCode == BlobErrorCode.AppendPositionConditionNotMet || exception.Status == 404)
            {
                // Moved: this append may have landed already. Missing: deleted since this process last appended (a
                // purged run written again), so it starts anew.
                if (exception.Status != 404 && await HoldsAtAsync(blob, position, block, cancellationToken))
                {
                    _ends[blob.Name] = position + block.Length;
                    return;
                }

                _ends.TryRemove(blob.Name, out _);
                if (attempt >= MaxAppendAttempts)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>The journal's length, creating it (and its container) when missing.</summary>
    private async Task<long> EndOfAsync(AppendBlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            await EnsureBlobAsync(blob, cancellationToken);
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        }
    }

    /// <summary>Whether the journal holds exactly <paramref name="block"/> at <paramref name="position"/>.</summary>
    private static async Task<bool> HoldsAtAsync(AppendBlobClient blob, long position, byte[] block, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult there = (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(position, block.Length) }, cancellationToken)).Value;
            return there.Content.ToMemory().Span.SequenceEqual(block);
        }
        catch (RequestFailedException exception) when (exception.Status == 416)
        {
            return false;
        }
    }

    private async Task EnsureBlobAsync(AppendBlobClient blob, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);

        // Creates the blob only if it is missing; an existing journal is never truncated.
        await blob.CreateIfNotExistsAsync(new AppendBlobCreateOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" } }, cancellationToken);
    }
}
