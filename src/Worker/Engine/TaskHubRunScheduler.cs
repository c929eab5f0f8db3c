using DurableTask.Core;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Durable;

namespace DurableTrainer.Worker.Engine;

/// <summary>Starts runs as orchestration instances whose instance id is the run id.</summary>
public sealed class TaskHubRunScheduler(DurableEngine engine) : ITrainingRunScheduler
{
    public async Task<bool> TryScheduleAsync(TrainingRunInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        OrchestrationState? existing = await engine.Client.GetOrchestrationStateAsync(input.RunId);
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
            await engine.Client.CreateOrchestrationInstanceAsync(
                TrainingTaskNames.Orchestration, string.Empty, input.RunId, input, tags: null, dedupe);
            return true;
        }
        catch (DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException)
        {
            return false;
        }
    }
}
