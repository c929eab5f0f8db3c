using System.Diagnostics.CodeAnalysis;

namespace DurableTrainer.Cli.LocalStack;

/// <summary>
/// The server a command talks to when none is named: the stack <c>dtrain up</c> keeps standing on the repository's
/// local data, or else a local stack started for this command alone and stopped when it ends. Messages about either
/// go to standard error.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private LocalServer(Uri address, LocalStackSession? started, Uri blobEndpoint)
    {
        Address = address;
        Started = started;
        BlobEndpoint = blobEndpoint;
    }

    public Uri Address { get; }

    public Uri BlobEndpoint { get; }

    /// <summary>The stack started for this command (null when a standing one serves it).</summary>
    public LocalStackSession? Started { get; }

    /// <summary>The standing stack if one is up; otherwise a new one (<paramref name="expectedRun"/> as for <see cref="LocalStackSession.StartAsync"/>).</summary>
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The session passes to the LocalServer returned, which disposes it.")]
    public static async Task<LocalServer> UseAsync(TextWriter messages, string? expectedRun = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (await StandingStack.FindAsync(cancellationToken) is { } standing)
        {
            messages.WriteLine($"Using the local stack `dtrain up` keeps at {standing.Address}.");
            return new LocalServer(standing.Address, null, standing.BlobEndpoint);
        }

        LocalStackSession stack = await LocalStackSession.StartAsync(messages, expectedRun);
        return new LocalServer(stack.BaseAddress, stack, new Uri(stack.Azurite.BlobEndpoint));
    }

    public async ValueTask DisposeAsync()
    {
        if (Started is not null)
        {
            await Started.DisposeAsync();
        }
    }
}
