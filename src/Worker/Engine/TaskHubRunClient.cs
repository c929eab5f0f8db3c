using DurableTask.AzureStorage.Tracking;
using DurableTask.Core;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Worker.Engine;

/// <summary>Manages runs through DurableTask.Core's client and the Azure Storage provider's instance table.</summary>
public sealed class TaskHubRunClient(DurableEngine engine) : ITrainingRunClient
{
    public async Task<RunRecord?> GetAsync(string instanceId, CancellationToken cancellationToken) =>
        ToRecord(await engine.Client.GetOrchestrationStateAsync(instanceId));

    public async Task<IReadOnlyList<RunRecord>> ListAsync(int top, CancellationToken cancellationToken)
    {
        var records = new List<RunRecord>();
        string? continuation = null;
        do
        {
            var page = await engine.Service.GetOrchestrationStateAsync(
                new OrchestrationInstanceStatusQueryCondition { FetchInput = false, FetchOutput = true },
                top: 100,
                continuation,
                cancellationToken);
            records.AddRange(page.OrchestrationState.Select(ToRecord).OfType<RunRecord>());
            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));

        // The instance table is not ordered by creation time, so sort after reading it.
        return records.OrderByDescending(record => record.CreatedTime).Take(top).ToArray();
    }

    public Task RaiseEventAsync(string instanceId, string eventName, object? data, CancellationToken cancellationToken) =>
        engine.Client.RaiseEventAsync(new OrchestrationInstance { InstanceId = instanceId }, eventName, data!);

    public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) =>
        engine.Client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason);

    public Task SuspendAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        engine.Client.SuspendInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason);

    public Task ResumeAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        engine.Client.ResumeInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason);

    public async Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken) =>
        (await engine.Service.PurgeInstanceHistoryAsync(instanceId)).InstancesDeleted;

    private static RunRecord? ToRecord(OrchestrationState? state) => state is null ? null : new RunRecord(
        state.Name,
        state.OrchestrationInstance.InstanceId,
        InstanceRuntimeStatuses.FromName(state.OrchestrationStatus.ToString()),
        state.Input,
        state.Status,
        state.Output,
        state.CreatedTime,
        state.LastUpdatedTime);
}
