using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions.Tests;

/// <summary>
/// A DurableTaskClient double for testing the HTTP functions on their own: it records what was scheduled or
/// raised and answers queries from an in-memory list. Operations the triggers do not use are refused loudly.
/// </summary>
public sealed class RecordingDurableTaskClient() : DurableTaskClient("TestHub")
{
    public List<(TaskName Name, object? Input, string? InstanceId)> Scheduled { get; } = [];

    public List<(string InstanceId, string EventName, object? Payload)> RaisedEvents { get; } = [];

    public Dictionary<string, OrchestrationMetadata> Instances { get; } = [];

    public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        string id = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        Scheduled.Add((orchestratorName, input, id));
        Instances[id] = new OrchestrationMetadata(orchestratorName, id) { RuntimeStatus = OrchestrationRuntimeStatus.Pending };
        return Task.FromResult(id);
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        RaisedEvents.Add((instanceId, eventName, eventPayload));
        return Task.CompletedTask;
    }

    public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        Task.FromResult(Instances.GetValueOrDefault(instanceId));

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        Pageable.Create((string? continuation, int? pageSize, CancellationToken cancellation) =>
            Task.FromResult(new Page<OrchestrationMetadata>(Instances.Values.ToList(), null)));

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        throw new NotSupportedException("Not used by the HTTP functions.");

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        throw new NotSupportedException("Not used by the HTTP functions.");

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        throw new NotSupportedException("Not used by the HTTP functions.");

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        throw new NotSupportedException("Not used by the HTTP functions.");

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
