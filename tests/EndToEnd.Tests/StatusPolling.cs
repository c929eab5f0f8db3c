using System.Text.Json;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>Polls a JSON route until a condition holds, riding out a worker that is restarting.</summary>
internal static class StatusPolling
{
    public static async Task<JsonElement> UntilAsync(HttpClient http, string path, Func<JsonElement, bool> done, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await http.GetStringAsync(new Uri(path, UriKind.Relative));
                JsonElement status = JsonDocument.Parse(last).RootElement.Clone();
                if (done(status))
                {
                    return status;
                }
            }
            catch (HttpRequestException)
            {
                // The worker is restarting, or said 404 before the run existed.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{path} did not reach the expected state within {timeout}. Last answer: {last}\n{diagnostics?.Invoke()}");
        return default;
    }

    /// <summary>
    /// Until every activity the instance scheduled has ended in its history (completed or failed), and returns that
    /// history. A suspended instance schedules nothing new, so after this it writes nothing more until resumed.
    /// </summary>
    public static async Task<JsonElement[]> UntilNoActivityInFlightAsync(HttpClient http, string instanceId, TimeSpan timeout, Func<string>? diagnostics = null) =>
        Events(await UntilAsync(http, HistoryPath(instanceId), status =>
        {
            JsonElement[] events = Events(status);
            HashSet<int> ended = [.. events.Where(e => Type(e) is "TaskCompleted" or "TaskFailed").Select(e => e.GetProperty("TaskScheduledId").GetInt32())];
            return events.Where(e => Type(e) == "TaskScheduled").All(e => ended.Contains(e.GetProperty("EventId").GetInt32()));
        }, timeout, diagnostics));

    private static string HistoryPath(string instanceId) => $"/runtime/webhooks/durabletask/instances/{instanceId}?showHistory=true";

    private static JsonElement[] Events(JsonElement status) =>
        status.TryGetProperty("historyEvents", out JsonElement events) ? [.. events.EnumerateArray()] : [];

    private static string? Type(JsonElement historyEvent) => historyEvent.GetProperty("EventType").GetString();
}
