using DurableTask.Core;
using DurableTask.Core.Middleware;
using DurableTrainer.Durable;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// The worker's orchestrations or activities by name, whatever the version a work item carries. The engine's default
/// matches the version exactly and finds nothing for a run of another build, leaving its messages where they are;
/// here every version reaches <see cref="OrchestrationVersionCheck"/>, which decides. Activities are scheduled with
/// their orchestration's version and are the same for every version this build continues.
/// </summary>
public sealed class TasksByName<T> : INameVersionObjectManager<T>
{
    private readonly Dictionary<string, ObjectCreator<T>> _byName = new(StringComparer.Ordinal);

    public void Add(ObjectCreator<T> creator)
    {
        ArgumentNullException.ThrowIfNull(creator);
        _byName.Add(creator.Name, creator);
    }

    public T? GetObject(string name, string? version) =>
        _byName.TryGetValue(name, out ObjectCreator<T>? creator) ? creator.Create() : default;
}

/// <summary>
/// Fails a run whose orchestration version this build does not continue (<see cref="OrchestrationVersions"/>) on the
/// first step a worker of this build takes for it, with one sentence saying which versions and what to do. It answers
/// in place of the orchestration: nothing is replayed (a replay of another build's history would end in the engine's
/// own non-determinism error instead) and nothing is scheduled, so the run's checkpoints stay as they were.
/// </summary>
public static class OrchestrationVersionCheck
{
    public static Task RefuseWhatThisBuildCannotReplay(DispatchMiddlewareContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetProperty<OrchestrationRuntimeState>() is { } run && OrchestrationVersions.Refusal(run.Name, run.Version) is { } refusal)
        {
            context.SetProperty(OrchestratorExecutionResult.ForFailure(refusal, details: string.Empty));
            return Task.CompletedTask;
        }

        return next();
    }
}
