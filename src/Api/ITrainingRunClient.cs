using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>
/// What the HTTP API needs from a durable engine to manage runs. One adapter per host: DurableTask.Core's
/// TaskHubClient in the self-hosted worker, the Functions extension's DurableTaskClient in the Functions app.
/// </summary>
public interface ITrainingRunClient
{
    Task<RunRecord?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The most recently created runs first.</summary>
    Task<IReadOnlyList<RunRecord>> ListAsync(int top, CancellationToken cancellationToken);

    Task RaiseEventAsync(string instanceId, string eventName, object? data, CancellationToken cancellationToken);

    Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken);

    Task SuspendAsync(string instanceId, string? reason, CancellationToken cancellationToken);

    Task ResumeAsync(string instanceId, string? reason, CancellationToken cancellationToken);

    /// <summary>Deletes the instance's history; returns how many instances were removed.</summary>
    Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>Finding a run from a route's text, the one way every route does it.</summary>
public static class TrainingRunLookup
{
    /// <summary>
    /// The run the text names, with its parsed id; null when the text breaks the run id rule (it never reaches the
    /// engine as an instance id) or no instance has that id. Sweeps' ids follow the same rule, so they are found too.
    /// </summary>
    public static async Task<(RunId Id, RunRecord Run)?> FindRunAsync(this ITrainingRunClient runs, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return RunId.TryParse(text, out RunId? id) && await runs.GetAsync(id.Value, cancellationToken) is { } run ? (id, run) : null;
    }
}

/// <summary>An orchestration instance as stored: payloads are the serialized JSON text the engine keeps.</summary>
public sealed record RunRecord(
    string Name,
    string InstanceId,
    InstanceRuntimeStatus RuntimeStatus,
    string? SerializedInput,
    string? SerializedCustomStatus,
    string? SerializedOutput,
    DateTime CreatedTime,
    DateTime LastUpdatedTime);
