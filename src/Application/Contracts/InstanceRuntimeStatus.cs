namespace DurableTrainer.Application.Contracts;

/// <summary>
/// What the durable engine says of an orchestration instance, by the names Durable Functions' status query uses
/// (<c>"Running"</c>, <c>"Completed"</c>). Properties that carry it on the wire name their converter, because a
/// converter in the options (MessageJson's camelCase one) wins over one on the type.
/// </summary>
public enum InstanceRuntimeStatus
{
    Pending,
    Running,
    Suspended,
    ContinuedAsNew,
    Completed,
    Failed,
    Canceled,
    Terminated,
}

public static class InstanceRuntimeStatuses
{
    /// <summary>Still going: Durable Functions answers 202 for these, 200 once the instance has ended.</summary>
    public static bool IsRunning(this InstanceRuntimeStatus status) =>
        status is InstanceRuntimeStatus.Pending or InstanceRuntimeStatus.Running or InstanceRuntimeStatus.Suspended or InstanceRuntimeStatus.ContinuedAsNew;

    /// <summary>Ended by the engine or by hand rather than by the orchestration's own code returning.</summary>
    public static bool EndedAbnormally(this InstanceRuntimeStatus status) =>
        status is InstanceRuntimeStatus.Failed or InstanceRuntimeStatus.Terminated or InstanceRuntimeStatus.Canceled;

    /// <summary>An engine's own status enumeration (the Durable Task Framework's or the Functions client's), by its member's name.</summary>
    public static InstanceRuntimeStatus FromName(string name) => Enum.Parse<InstanceRuntimeStatus>(name, ignoreCase: false);
}
