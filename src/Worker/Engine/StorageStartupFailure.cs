using Azure;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// Sorts what can go wrong while the engine first reaches its storage: storage that refuses the credentials will
/// never accept them, so the worker should stop and say which setting to fix; anything else (nothing listening, a
/// timeout, a name that does not resolve yet) may pass, so the worker keeps trying.
/// </summary>
public static class StorageStartupFailure
{
    /// <summary>The setting that holds the storage connection string.</summary>
    public const string Setting = "DurableTask:StorageConnectionString";

    /// <summary>True when the storage answered and refused the credentials (401 or 403), however deeply the SDK wrapped it.</summary>
    public static bool IsRefusedCredentials(Exception exception) =>
        Causes(exception).OfType<RequestFailedException>().Any(failure => failure.Status is 401 or 403);

    /// <summary>The innermost message, which names the real cause (the outer ones are the SDK's wrappers).</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception innermost = Causes(exception).Last();
        string message = innermost.Message.ReplaceLineEndings(" ");
        int cut = message.IndexOf(" Status:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim();
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions.SelectMany(Causes))
                {
                    yield return inner;
                }

                yield break;
            }
        }
    }
}
