using DurableTask.Core;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;

namespace DurableTrainer.Worker.Engine;

/// <summary>Starts runs, sweeps and prediction jobs as orchestration instances whose instance id is the run's (sweep's, job's) id.</summary>
public sealed class TaskHubRunStarter(DurableEngine engine) : ITrainingRunStarter, ISweepStarter, IPredictionJobStarter
{
    public Task<bool> TryScheduleAsync(TrainingRunInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TryCreateAsync(DurableTaskNames.Orchestration, input.RunId.Value, input);
    }

    public Task<bool> TryScheduleAsync(SweepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TryCreateAsync(DurableTaskNames.SweepOrchestration, input.SweepId, input);
    }

    public Task<bool> TryScheduleAsync(PredictionJobInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TryCreateAsync(DurableTaskNames.PredictionOrchestration, input.PredictionId.Value, input);
    }

    public async Task<InstanceRuntimeStatus?> GetRuntimeStatusAsync(RunId runId, CancellationToken cancellationToken = default) =>
        (await engine.Client.GetOrchestrationStateAsync(runId.Value)) is { } state ? InstanceRuntimeStatuses.FromName(state.OrchestrationStatus.ToString()) : null;

    public async Task<bool> IsFreeAsync(string sweepId, CancellationToken cancellationToken = default) =>
        await engine.Client.GetOrchestrationStateAsync(sweepId) is null;

    private async Task<bool> TryCreateAsync(string name, string instanceId, object input)
    {
        OrchestrationState? existing = await engine.Client.GetOrchestrationStateAsync(instanceId);
        if (existing is not null)
        {
            return false;
        }

        // Dedupe on every live or finished status: a run id names one run for good (purge it to reuse the name).
        OrchestrationStatus[] dedupe =
        [
            OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.Suspended,
            OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Terminated,
            OrchestrationStatus.Canceled, OrchestrationStatus.ContinuedAsNew,
        ];
        try
        {
            await engine.Client.CreateOrchestrationInstanceAsync(name, OrchestrationVersions.Current, instanceId, input, tags: null, dedupe);
            return true;
        }
        catch (DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException)
        {
            return false;
        }
    }
}
