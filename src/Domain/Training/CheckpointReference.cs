namespace DurableTrainer.Domain.Training;

/// <summary>
/// Names a checkpoint without saying where or how it is stored. The name is fixed by (run, round, replica), so a
/// retried chunk writes to its own name and never to another's.
/// </summary>
public sealed record CheckpointReference(RunId RunId, string Name)
{
    public static CheckpointReference Initial(RunId runId) => new(runId, "initial");

    public static CheckpointReference ForReplica(RunId runId, long round, int replica) =>
        new(runId, $"round-{round:D6}/replica-{replica:D2}");

    public static CheckpointReference Merged(RunId runId, long round) => new(runId, $"round-{round:D6}/merged");

    /// <summary>Whether <paramref name="name"/> could name a checkpoint within a run (as the factories above write them).</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: >= 1 and <= 64 }
        && name[0] != '/' && name[^1] != '/'
        && !name.Contains("//", StringComparison.Ordinal)
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '/');

    public override string ToString() => $"{RunId}/{Name}";
}
