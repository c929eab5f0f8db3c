using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// Counts, by kind, the storage calls that failed in a way the storage SDK retries (a 503, a 500, a lost connection,
/// a timeout), so that a host can report them once per interval with counts rather than once per retry. Added to a
/// client's pipeline per retry, it sees every try; it never changes one.
/// </summary>
public sealed class StorageFaultCounter : HttpPipelinePolicy
{
    private ConcurrentDictionary<string, long> _faults = new(StringComparer.Ordinal);
    private long _tries;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception exception) when (Count(message, exception))
        {
            // Never reached: counting returns false, so the exception goes on as it came.
        }

        Count(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        catch (Exception exception) when (Count(message, exception))
        {
            // Never reached, as above.
        }

        Count(message);
    }

    /// <summary>The tries and faults counted since the last call, and starts counting afresh.</summary>
    public StorageFaultTally Take()
    {
        ConcurrentDictionary<string, long> faults = Interlocked.Exchange(ref _faults, new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        return new StorageFaultTally(Interlocked.Exchange(ref _tries, 0), faults.OrderByDescending(fault => fault.Value).ThenBy(fault => fault.Key, StringComparer.Ordinal).ToArray());
    }

    private void Count(HttpMessage message)
    {
        Interlocked.Increment(ref _tries);
        int status = message.Response.Status;
        if (status >= 500 || status == 408)
        {
            string? code = message.Response.Headers.TryGetValue("x-ms-error-code", out string? value) ? value : null;
            Add($"{status}{(code is null ? string.Empty : " " + code)}");
        }
    }

    private bool Count(HttpMessage message, Exception exception)
    {
        Interlocked.Increment(ref _tries);
        if (exception is OperationCanceledException && message.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        Add(exception switch
        {
            OperationCanceledException or TimeoutException => "timed out",
            IOException or HttpRequestException or RequestFailedException { Status: 0 } => "connection lost",
            _ => exception.GetType().Name,
        });
        return false;
    }

    private void Add(string kind) => _faults.AddOrUpdate(kind, 1, (_, count) => count + 1);
}

/// <summary>Storage tries in an interval, and those that failed, by kind, most frequent first.</summary>
public sealed record StorageFaultTally(long Tries, IReadOnlyList<KeyValuePair<string, long>> Faults)
{
    public long FaultCount => Faults.Sum(fault => fault.Value);

    /// <summary>For a log line: "503 ServerBusy × 12, connection lost × 3".</summary>
    public string Describe() => string.Join(", ", Faults.Select(fault => $"{fault.Key} × {fault.Value}"));
}
