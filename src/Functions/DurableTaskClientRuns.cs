using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>
/// Schedules and manages runs through the Functions extension's <see cref="DurableTaskClient"/>: a given one, or the
/// invocation's (see <see cref="InvocationDurableClient"/>), asked for on every call.
/// </summary>
public sealed class DurableTaskClientRuns(Func<DurableTaskClient> clientOfCall) : ITrainingRunClient, ITrainingRunStarter, ISweepStarter, IPredictionJobStarter
{
    public DurableTaskClientRuns(DurableTaskClient client)
        : this(() => client)
    {
    }

    private DurableTaskClient Client => clientOfCall();

    public Task<bool> TryScheduleAsync(TrainingRunInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TryScheduleAsync(DurableTaskNames.Orchestration, input.RunId.Value, input, cancellationToken);
    }

    public Task<bool> TryScheduleAsync(SweepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TryScheduleAsync(DurableTaskNames.SweepOrchestration, input.SweepId, input, cancellationToken);
    }

    public Task<bool> TryScheduleAsync(PredictionJobInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TryScheduleAsync(DurableTaskNames.PredictionOrchestration, input.PredictionId.Value, input, cancellationToken);
    }

    public async Task<bool> IsFreeAsync(string sweepId, CancellationToken cancellationToken = default) =>
        await Client.GetInstanceAsync(sweepId, getInputsAndOutputs: false, cancellationToken) is null;

    private async Task<bool> TryScheduleAsync(string name, string instanceId, object input, CancellationToken cancellationToken)
    {
        if (await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return false;
        }

        await Client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(instanceId), cancellationToken);
        return true;
    }

    public async Task<InstanceRuntimeStatus?> GetRuntimeStatusAsync(RunId runId, CancellationToken cancellationToken = default) =>
        (await Client.GetInstanceAsync(runId.Value, getInputsAndOutputs: false, cancellationToken)) is { } instance ? InstanceRuntimeStatuses.FromName(instance.RuntimeStatus.ToString()) : null;

    public async Task<RunRecord?> GetAsync(string instanceId, CancellationToken cancellationToken) =>
        ToRecord(await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken));

    public async Task<IReadOnlyList<RunRecord>> ListAsync(int top, CancellationToken cancellationToken)
    {
        var records = new List<RunRecord>();
        await foreach (OrchestrationMetadata metadata in Client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 100 }).WithCancellation(cancellationToken))
        {
            records.Add(ToRecord(metadata)!);
        }

        return records.OrderByDescending(record => record.CreatedTime).Take(top).ToArray();
    }

    public Task RaiseEventAsync(string instanceId, string eventName, object? data, CancellationToken cancellationToken) =>
        Client.RaiseEventAsync(instanceId, eventName, data, cancellationToken);

    public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) =>
        Client.TerminateInstanceAsync(instanceId, reason, cancellationToken);

    public Task SuspendAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        Client.SuspendInstanceAsync(instanceId, reason, cancellationToken);

    public Task ResumeAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        Client.ResumeInstanceAsync(instanceId, reason, cancellationToken);

    public async Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken) =>
        (await Client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken)).PurgedInstanceCount;

    private static RunRecord? ToRecord(OrchestrationMetadata? metadata) => metadata is null ? null : new RunRecord(
        metadata.Name,
        metadata.InstanceId,
        InstanceRuntimeStatuses.FromName(metadata.RuntimeStatus.ToString()),
        metadata.SerializedInput,
        metadata.SerializedCustomStatus,
        metadata.SerializedOutput,
        metadata.CreatedAt.UtcDateTime,
        metadata.LastUpdatedAt.UtcDateTime);
}
