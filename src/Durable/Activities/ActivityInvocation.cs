using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Activities;

/// <summary>
/// The activity context for hosts that invoke our activity classes themselves (the Functions app's
/// <c>[ActivityTrigger]</c> wrappers), so they run exactly the code the self-hosted worker runs.
/// </summary>
public sealed class ActivityInvocation(string name, string instanceId) : TaskActivityContext
{
    public override TaskName Name { get; } = new(name);

    public override string InstanceId { get; } = instanceId;
}
