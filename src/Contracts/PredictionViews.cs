using System.Text.Json.Serialization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Contracts;

/// <summary>
/// A batch prediction job as <c>GET /api/predictions/{id}</c> shows it: the engine's status, the progress (parts
/// done of parts, rows, rows per second from submission), the manifest once done, and the reason when it failed.
/// </summary>
public sealed record PredictionStatusView(
    string PredictionId,
    [property: JsonConverter(typeof(JsonStringEnumConverter<InstanceRuntimeStatus>))] InstanceRuntimeStatus RuntimeStatus,
    string? Run,
    string? Checkpoint,
    PredictionProgress? Progress,
    IReadOnlyList<string>? IgnoredColumns,
    PredictionManifest? Manifest,
    string? Failure,
    DateTime CreatedTime,
    DateTime LastUpdatedTime);
