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
}
