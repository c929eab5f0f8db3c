using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Contracts;

/// <summary>A sweep's status as the routes show it: its document, the engine's view of the orchestration, and the best trial.</summary>
public sealed record SweepStatusView(string SweepId, [property: JsonConverter(typeof(JsonStringEnumConverter<InstanceRuntimeStatus>))] InstanceRuntimeStatus RuntimeStatus, DateTime? CreatedTime, DateTime? LastUpdatedTime, SweepRecord Sweep, SweepTrialView? Best);

/// <summary>A line of the sweep list.</summary>
public sealed record SweepSummary(string SweepId, [property: JsonConverter(typeof(JsonStringEnumConverter<InstanceRuntimeStatus>))] InstanceRuntimeStatus RuntimeStatus, DateTime CreatedTime, DateTime LastUpdatedTime, JsonElement? Progress);
