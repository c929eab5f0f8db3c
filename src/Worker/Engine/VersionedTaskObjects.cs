using DurableTask.Core;
using DurableTrainer.Durable;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// The worker's orchestrations by name, whatever the version a work item carries: a version this build continues
/// (<see cref="OrchestrationVersions.Continued"/>) gets the orchestration, any other one an orchestration that fails
/// at once with <see cref="OrchestrationVersions.Refusal"/>. The engine's default would find nothing for an unknown
/// version and leave the run's messages where they are.
/// </summary>
public sealed class VersionedOrchestrations : INameVersionObjectManager<TaskOrchestration>
{
    private readonly Dictionary<string, ObjectCreator<TaskOrchestration>> _byName = new(StringComparer.Ordinal);

    public void Add(ObjectCreator<TaskOrchestration> creator)
    {
        ArgumentNullException.ThrowIfNull(creator);
        _byName.Add(creator.Name, creator);
    }

    public TaskOrchestration? GetObject(string name, string? version) =>
        !_byName.TryGetValue(name, out ObjectCreator<TaskOrchestration>? creator) ? null
        : OrchestrationVersions.Refusal(name, version) is { } refusal ? new RefusedOrchestration(refusal)
        : creator.Create();

    /// <summary>Fails on its first step, scheduling nothing, so nothing the run holds (its checkpoints) is touched.</summary>
    private sealed class RefusedOrchestration(string refusal) : TaskOrchestration
    {
        // A faulted task, not a throw: the engine fails an orchestration whose task faults, but treats an exception
        // thrown by Execute itself as its own error and retries the work item forever.
        public override Task<string> Execute(OrchestrationContext context, string input) => Task.FromException<string>(new OrchestrationVersionException(refusal));

        public override string GetStatus() => string.Empty;

        public override void RaiseEvent(OrchestrationContext context, string name, string input)
        {
        }
    }
}

/// <summary>
/// The worker's activities by name. The engine schedules an orchestration's activities with the orchestration's
/// version; the activities themselves are the same for every version this build continues.
/// </summary>
public sealed class UnversionedActivities : INameVersionObjectManager<DurableTask.Core.TaskActivity>
{
    private readonly Dictionary<string, ObjectCreator<DurableTask.Core.TaskActivity>> _byName = new(StringComparer.Ordinal);

    public void Add(ObjectCreator<DurableTask.Core.TaskActivity> creator)
    {
        ArgumentNullException.ThrowIfNull(creator);
        _byName.Add(creator.Name, creator);
    }

    public DurableTask.Core.TaskActivity? GetObject(string name, string? version) =>
        _byName.TryGetValue(name, out ObjectCreator<DurableTask.Core.TaskActivity>? creator) ? creator.Create() : null;
}

/// <summary>A run this build cannot continue: the message says which versions and what to do.</summary>
public sealed class OrchestrationVersionException(string message) : Exception(message);
