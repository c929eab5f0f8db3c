using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Contracts;

/// <summary>The body Durable Functions returns when an orchestration starts: where to ask about it and how to steer it.</summary>
public sealed record ManagementPayload(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("statusQueryGetUri")] string StatusQueryGetUri,
    [property: JsonPropertyName("sendEventPostUri")] string SendEventPostUri,
    [property: JsonPropertyName("terminatePostUri")] string TerminatePostUri,
    [property: JsonPropertyName("purgeHistoryDeleteUri")] string PurgeHistoryDeleteUri,
    [property: JsonPropertyName("suspendPostUri")] string SuspendPostUri,
    [property: JsonPropertyName("resumePostUri")] string ResumePostUri)
{
    public const string InstancesPath = "/runtime/webhooks/durabletask/instances";

    /// <summary>Builds the URLs the way Durable Functions' HTTP API lays them out, under <paramref name="baseUrl"/>.</summary>
    public static ManagementPayload Create(string baseUrl, string instanceId, string taskHub, string? extraQuery = null)
    {
        string instance = $"{baseUrl.TrimEnd('/')}{InstancesPath}/{Uri.EscapeDataString(instanceId)}";
        string query = $"taskHub={Uri.EscapeDataString(taskHub)}{(string.IsNullOrEmpty(extraQuery) ? string.Empty : "&" + extraQuery)}";
        return new ManagementPayload(
            instanceId,
            $"{instance}?{query}",
            $"{instance}/raiseEvent/{{eventName}}?{query}",
            $"{instance}/terminate?reason={{text}}&{query}",
            $"{instance}?{query}",
            $"{instance}/suspend?reason={{text}}&{query}",
            $"{instance}/resume?reason={{text}}&{query}");
    }
}

/// <summary>An orchestration's status in the JSON shape of Durable Functions' status query.</summary>
public sealed record InstanceStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("instanceId")] string InstanceId,
    [property: JsonPropertyName("runtimeStatus"), JsonConverter(typeof(JsonStringEnumConverter<InstanceRuntimeStatus>))] InstanceRuntimeStatus RuntimeStatus,
    [property: JsonPropertyName("input")] JsonElement? Input,
    [property: JsonPropertyName("customStatus")] JsonElement? CustomStatus,
    [property: JsonPropertyName("output")] JsonElement? Output,
    [property: JsonPropertyName("createdTime")] DateTime CreatedTime,
    [property: JsonPropertyName("lastUpdatedTime")] DateTime LastUpdatedTime)
{
    /// <summary>Still going (Durable Functions answers 202 for these, 200 once the instance has ended).</summary>
    [JsonIgnore]
    public bool IsRunning => RuntimeStatus.IsRunning();

    /// <summary>Stored payloads are JSON text, except a terminated instance's output, which is the plain reason.</summary>
    public static JsonElement? ParsePayload(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(stored);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(stored);
        }
    }
}
