using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTask.Core.History;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// An instance's history, as Durable Functions' status query gives it with <c>showHistory=true</c>: one entry per
/// event of the latest execution, with its type, time, name and the ids that pair a task's scheduling with its end.
/// <c>showHistoryOutput=true</c> adds activities' results and the input the execution started with. The timestamps
/// are what a per-round breakdown of a run's time is computed from (bench/overhead.sh).
/// </summary>
public static class OrchestrationHistory
{
    // Fields copied from the provider's serialized events, when present; everything else (trace contexts, tags,
    // the played flag) is engine bookkeeping.
    private static readonly string[] Fields = ["Name", "EventId", "TaskScheduledId", "TimerId", "FireAt", "Reason", "Details", "FailureDetails"];
    private static readonly string[] OutputFields = ["Result", "Input"];

    public static async Task<JsonArray> ReadAsync(DurableEngine engine, string instanceId, bool withOutput)
    {
        ArgumentNullException.ThrowIfNull(engine);
        string serialized = await engine.Service.GetOrchestrationHistoryAsync(instanceId, executionId: null);
        var events = new JsonArray();
        if (JsonNode.Parse(serialized) is not JsonArray stored)
        {
            return events;
        }

        foreach (JsonObject historyEvent in stored.OfType<JsonObject>())
        {
            var entry = new JsonObject
            {
                ["EventType"] = EventTypeName(historyEvent["EventType"]),
                ["Timestamp"] = historyEvent["Timestamp"]?.DeepClone(),
            };
            foreach (string field in withOutput ? [.. Fields, .. OutputFields] : Fields)
            {
                if (historyEvent[field] is { } value && value.GetValueKind() != JsonValueKind.Null)
                {
                    entry[field] = value.DeepClone();
                }
            }

            events.Add(entry);
        }

        return events;
    }

    // The provider writes the type as its enum number.
    private static string? EventTypeName(JsonNode? stored) => stored?.GetValueKind() switch
    {
        JsonValueKind.Number => ((EventType)stored.GetValue<int>()).ToString(),
        JsonValueKind.String => stored.GetValue<string>(),
        _ => null,
    };
}
