using System.Collections.Concurrent;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// Brings back within seconds the queue messages a dequeue took when its answer never arrived. A dequeue hides what it
/// takes for the visibility timeout it names; when the answer is lost on the way back (the service acted, then the
/// connection dropped), nobody holds those messages, yet they stay hidden for the whole timeout, a minute by default.
/// This policy asks the service for a short hold instead; once the answer has arrived, it extends each message the
/// engine still holds halfway through the short hold to the end of the hold the engine asked for. An extension changes
/// a message's pop receipt, so a later call for that message naming the receipt the engine knows has it replaced by
/// the current one (ADR 0027). A message taken again by this process while it still held it (its extension failed)
/// keeps every receipt it was known by, so the engine's first copy of it still deletes.
/// </summary>
/// <param name="shortHold">How long a message stays hidden until its dequeue's answer is known to have arrived.</param>
/// <param name="queue">A client, without this policy, for the named queue: it sends the extensions.</param>
public sealed class LostDequeueRedelivery(TimeSpan shortHold, Func<string, QueueClient> queue, TimeProvider? time = null) : HttpPipelinePolicy
{
    private const string VisibilityParameter = "visibilitytimeout";
    private const string ReceiptParameter = "popreceipt";
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(string Queue, string MessageId), HeldMessage> _held = new();
    private long _extended;
    private long _extensionsLost;

    /// <summary>Messages extended to the engine's hold after their dequeue's answer arrived.</summary>
    public long Extended => Interlocked.Read(ref _extended);

    /// <summary>Extensions whose answer did not come: those messages stay hidden for the engine's whole hold.</summary>
    public long ExtensionsLost => Interlocked.Read(ref _extensionsLost);

    /// <summary>Messages taken and not yet deleted or given back, which this policy may still extend.</summary>
    public int Held => _held.Count;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: true);

    private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        ArgumentNullException.ThrowIfNull(message);
        string[] segments = message.Request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int messages = Array.LastIndexOf(segments, "messages");
        if (messages < 1)
        {
            await Next(message, pipeline, async);
            return;
        }

        string queueName = segments[messages - 1];
        if (messages == segments.Length - 1)
        {
            await DequeueAsync(message, pipeline, queueName, async);
        }
        else if (messages == segments.Length - 2 && _held.TryGetValue((queueName, Uri.UnescapeDataString(segments[^1])), out HeldMessage? held))
        {
            await ForHeldMessageAsync(message, pipeline, held, async);
        }
        else
        {
            await Next(message, pipeline, async);
        }
    }

    private async ValueTask DequeueAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, string queueName, bool async)
    {
        if (message.Request.Method != RequestMethod.Get
            || Parameter(message.Request.Uri, VisibilityParameter) is not { } asked
            || !int.TryParse(asked, System.Globalization.CultureInfo.InvariantCulture, out int askedSeconds)
            || TimeSpan.FromSeconds(askedSeconds) <= shortHold)
        {
            await Next(message, pipeline, async);
            return;
        }

        SetParameter(message.Request.Uri, VisibilityParameter, ((int)Math.Ceiling(shortHold.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        DateTimeOffset takenAt = _time.GetUtcNow();
        await Next(message, pipeline, async);
        if (message.Response.Status != 200)
        {
            return;
        }

        ForgetStale(takenAt);
        if (message.Response.ContentStream is not { CanSeek: true } body)
        {
            return;
        }

        long start = body.Position;
        XDocument answer = XDocument.Load(body);
        body.Position = start;
        foreach (XElement taken in answer.Root?.Elements("QueueMessage") ?? [])
        {
            if (taken.Element("MessageId")?.Value is { } id && taken.Element("PopReceipt")?.Value is { } receipt)
            {
                var held = new HeldMessage(queueName, id, receipt, takenAt + TimeSpan.FromSeconds(askedSeconds));
                // Taken again while this process still held it (its extension failed, so it came back after the short
                // hold): the engine may keep the first copy and delete or give it back under that copy's receipt,
                // which must then name the message as it is now, or the call fails with PopReceiptMismatch for ever.
                _held.AddOrUpdate((queueName, id), held, (_, earlier) => held.Inheriting(earlier));
                _ = ExtendHalfwayAsync(held);
            }
        }
    }

    /// <summary>A call for one message the engine holds (delete, or update of its visibility): under the current receipt.</summary>
    private async ValueTask ForHeldMessageAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, HeldMessage held, bool async)
    {
        if (async)
        {
            await held.Gate.WaitAsync(message.CancellationToken);
        }
        else
        {
            held.Gate.Wait(message.CancellationToken);
        }

        try
        {
            if (Parameter(message.Request.Uri, ReceiptParameter) is { } named && held.Knows(named))
            {
                SetParameter(message.Request.Uri, ReceiptParameter, held.Receipt);
            }

            await Next(message, pipeline, async);
            int status = message.Response.Status;
            if (message.Request.Method == RequestMethod.Delete && status is 204 or 404)
            {
                held.Settled = true;
                _held.TryRemove(new KeyValuePair<(string, string), HeldMessage>((held.Queue, held.MessageId), held));
            }
            else if (message.Request.Method == RequestMethod.Put && status == 204)
            {
                // The engine set the visibility itself (a renewal, or giving the message back): it needs no extension.
                held.Settled = true;
                if (message.Response.Headers.TryGetValue("x-ms-popreceipt", out string? receipt))
                {
                    held.Moved(receipt);
                }
            }
        }
        finally
        {
            held.Gate.Release();
        }
    }

    private async Task ExtendHalfwayAsync(HeldMessage held)
    {
        try
        {
            await Task.Delay(shortHold / 2, _time);
            await held.Gate.WaitAsync();
            try
            {
                TimeSpan remaining = held.HeldUntil - _time.GetUtcNow();
                if (held.Settled || remaining <= shortHold / 2)
                {
                    return;
                }

                UpdateReceipt receipt = (await queue(held.Queue).UpdateMessageAsync(held.MessageId, held.Receipt, message: null, visibilityTimeout: remaining)).Value;
                held.Moved(receipt.PopReceipt);
                held.Settled = true;
                Interlocked.Increment(ref _extended);
            }
            finally
            {
                held.Gate.Release();
            }
        }
        catch (RequestFailedException failed) when (failed.Status == 404)
        {
            // Deleted meanwhile, or taken again under a newer receipt: not ours to extend.
            _held.TryRemove(new KeyValuePair<(string, string), HeldMessage>((held.Queue, held.MessageId), held));
        }
        catch (Exception exception) when (exception is RequestFailedException or IOException or HttpRequestException or TimeoutException or OperationCanceledException or AggregateException)
        {
            // The answer never came: whether the service extended the message is unknown, and so is its receipt. It
            // comes back at the end of the hold the engine asked for, as it would have without this policy.
            Interlocked.Increment(ref _extensionsLost);
        }
    }

    /// <summary>Drops messages whose hold ended long ago: deleted under a receipt this policy never saw, or lost.</summary>
    private void ForgetStale(DateTimeOffset now)
    {
        foreach (KeyValuePair<(string, string), HeldMessage> entry in _held)
        {
            if (entry.Value.HeldUntil < now - TimeSpan.FromMinutes(5))
            {
                _held.TryRemove(entry);
            }
        }
    }

    private static ValueTask Next(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        if (async)
        {
            return ProcessNextAsync(message, pipeline);
        }

        ProcessNext(message, pipeline);
        return ValueTask.CompletedTask;
    }

    private static string? Parameter(RequestUriBuilder uri, string name)
    {
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            if (parts.Length == 2 && string.Equals(parts[0], name, StringComparison.OrdinalIgnoreCase))
            {
                return Uri.UnescapeDataString(parts[1]);
            }
        }

        return null;
    }

    private static void SetParameter(RequestUriBuilder uri, string name, string value)
    {
        IEnumerable<string> pairs = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
            pair.Split('=', 2)[0].Equals(name, StringComparison.OrdinalIgnoreCase) ? $"{name}={Uri.EscapeDataString(value)}" : pair);
        uri.Query = "?" + string.Join('&', pairs);
    }

    /// <summary>A message the engine took: every receipt it was known by, the current one, and until when the engine means to hold it.</summary>
    private sealed class HeldMessage(string queue, string messageId, string receipt, DateTimeOffset heldUntil)
    {
        private readonly HashSet<string> _receipts = new(StringComparer.Ordinal) { receipt };

        public string Queue { get; } = queue;

        public string MessageId { get; } = messageId;

        public string Receipt { get; private set; } = receipt;

        public DateTimeOffset HeldUntil { get; } = heldUntil;

        /// <summary>Extended, renewed or given back: this policy extends it no more.</summary>
        public bool Settled { get; set; }

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public bool Knows(string receipt)
        {
            lock (_receipts)
            {
                return _receipts.Contains(receipt);
            }
        }

        public void Moved(string receipt)
        {
            lock (_receipts)
            {
                _receipts.Add(receipt);
            }

            Receipt = receipt;
        }

        /// <summary>This taking of the message, knowing every receipt an earlier taking of it by this process knew.</summary>
        public HeldMessage Inheriting(HeldMessage earlier)
        {
            lock (earlier._receipts)
            {
                lock (_receipts)
                {
                    _receipts.UnionWith(earlier._receipts);
                }
            }

            return this;
        }
    }
}
