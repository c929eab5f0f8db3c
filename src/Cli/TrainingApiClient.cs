using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Durable;

namespace DurableTrainer.Cli;

/// <summary>Talks to the HTTP API of either host. Errors come back as sentences, not stack traces.</summary>
public sealed class TrainingApiClient(HttpClient http)
{
    public async Task<ManagementPayload> StartAsync(JsonObject request, CancellationToken cancellationToken)
    {
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/api/training", UriKind.Relative), content, cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new CliException($"The server refused the run ({(int)response.StatusCode}): {Detail(body)}");
        }

        return JsonSerializer.Deserialize<ManagementPayload>(body)
            ?? throw new CliException("The server accepted the run but sent no management URLs.");
    }

    public async Task<InstanceStatus> GetStatusAsync(string statusQueryUri, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await http.GetAsync(new Uri(statusQueryUri), cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new CliException($"The server does not know that run: {Detail(body)}");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new CliException($"The status query failed ({(int)response.StatusCode}): {Detail(body)}");
        }

        return JsonSerializer.Deserialize<InstanceStatus>(body)
            ?? throw new CliException("The server sent an empty status.");
    }

    public static T? Read<T>(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object } value ? value.Deserialize<T>(DurableJson.Options) : default;

    private static string Detail(string body)
    {
        try
        {
            JsonNode? node = JsonNode.Parse(body);
            return node?["detail"]?.GetValue<string>() ?? body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}

/// <summary>A failure to explain to the user in one sentence, with the fix where there is one.</summary>
public sealed class CliException(string message) : Exception(message);
