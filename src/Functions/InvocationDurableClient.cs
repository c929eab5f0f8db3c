using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>
/// The task hub client of the function invocation in progress. The Functions host hands a client only to a trigger
/// that binds <c>[DurableClient]</c>; each such trigger scopes it here, so the run starter and run client registered
/// once in the container (<see cref="DurableTaskClientRuns"/>) reach the hub the host configured.
/// </summary>
public static class InvocationDurableClient
{
    private static readonly AsyncLocal<DurableTaskClient?> Scoped = new();

    /// <summary>The client of the invocation this call belongs to.</summary>
    public static DurableTaskClient Current =>
        Scoped.Value ?? throw new InvalidOperationException("No task hub client is in scope: only a function that binds [DurableClient] and calls InvocationDurableClient.Use may reach the runs.");

    /// <summary>Makes <paramref name="client"/> current for the calls that follow in this invocation, until the scope is disposed.</summary>
    public static Scope Use(DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        DurableTaskClient? previous = Scoped.Value;
        Scoped.Value = client;
        return new Scope(previous);
    }

    public readonly struct Scope(DurableTaskClient? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}
