using System.Text.Json;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Api;

/// <summary>Reads a run's stored JSON payloads (input, custom status, output) into their types, or null when absent or foreign.</summary>
public static class RunRecordPayloads
{
    public static T? Read<T>(string? json)
        where T : class
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(json, MessageJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
