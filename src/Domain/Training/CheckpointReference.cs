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

    public override string ToString() => $"{RunId}/{Name}";
}
