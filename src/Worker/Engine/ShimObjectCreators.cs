using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace DurableTrainer.Worker.Engine;

// DurableTask.Core asks these for an orchestration or activity object on every work item. The shim keeps per-run
// state, so each call must build a fresh one. Their version is not used: TasksByName finds them by name, and
// OrchestrationVersionCheck decides by the work item's version.

public sealed class ShimOrchestrationCreator : ObjectCreator<TaskOrchestration>
{
    private readonly DurableTaskShimFactory _shims;
    private readonly Func<ITaskOrchestrator> _create;

    public ShimOrchestrationCreator(DurableTaskShimFactory shims, string name, Func<ITaskOrchestrator> create)
    {
        _shims = shims;
        _create = create;
        Name = name;
        Version = string.Empty;
    }

    public override TaskOrchestration Create() => _shims.CreateOrchestration(new TaskName(Name), _create());
}

public sealed class ShimActivityCreator : ObjectCreator<DurableTask.Core.TaskActivity>
{
    private readonly DurableTaskShimFactory _shims;
    private readonly Func<ITaskActivity> _create;

    public ShimActivityCreator(DurableTaskShimFactory shims, string name, Func<ITaskActivity> create)
    {
        _shims = shims;
        _create = create;
        Name = name;
        Version = string.Empty;
    }

    public override DurableTask.Core.TaskActivity Create() => _shims.CreateActivity(new TaskName(Name), _create());
}
