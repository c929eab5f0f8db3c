using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Contracts;

namespace DurableTrainer.Cli.Client;

/// <summary>
/// Talks to the HTTP API of either host: the self-hosted worker and an Azure Functions app. The key travels in both
/// hosts' headers (<c>x-api-key</c>, <c>x-functions-key</c>), never in a URL <c>dtrain</c> builds itself. Failures come
/// back as <see cref="CliException"/> sentences.
/// </summary>
public sealed class TrainingServerClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly Uri _base;

    public TrainingServerClient(Uri server, string? key, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        _base = new Uri(server.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = timeout ?? DefaultTimeout;
        if (!string.IsNullOrEmpty(key))
        {
            _http.DefaultRequestHeaders.Add("x-api-key", key);
            _http.DefaultRequestHeaders.Add("x-functions-key", key);
        }
    }

    public Uri Server { get; }

    public async Task<ManagementPayload> StartAsync(JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        string body = await SendForTextAsync(HttpMethod.Post, "api/training", content, runId: null, cancellationToken);
        return Deserialize<ManagementPayload>(body, "the management payload");
    }

    /// <summary>POST /api/sweeps: starts a sweep; the answer is its orchestration's management payload.</summary>
    public async Task<ManagementPayload> StartSweepAsync(JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        string body = await SendForTextAsync(HttpMethod.Post, "api/sweeps", content, runId: null, cancellationToken);
        return Deserialize<ManagementPayload>(body, "the management payload");
    }

    /// <summary>POST /api/predictions: starts a batch prediction job; the answer is its orchestration's management payload.</summary>
    public async Task<ManagementPayload> StartPredictionAsync(JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        string body = await SendForTextAsync(HttpMethod.Post, "api/predictions", content, runId: null, cancellationToken);
        return Deserialize<ManagementPayload>(body, "the management payload");
    }

    /// <summary>GET /api/predictions/{id}: the job's progress, and its manifest once done.</summary>
    public async Task<PredictionStatusView> GetPredictionAsync(string predictionId, CancellationToken cancellationToken)
    {
        string body = await SendForTextAsync(HttpMethod.Get, $"api/predictions/{Uri.EscapeDataString(predictionId)}", null, runId: null, cancellationToken);
        return Deserialize<PredictionStatusView>(body, "the prediction job's status");
    }

    /// <summary>GET /api/predictions/{id}/parts/{index}: one part file of a finished job.</summary>
    public async Task<byte[]> GetPredictionPartAsync(string predictionId, int index, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"api/predictions/{Uri.EscapeDataString(predictionId)}/parts/{index}", null, cancellationToken);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return response.IsSuccessStatusCode ? bytes : throw ServerErrors.FromResponse(response.StatusCode, Encoding.UTF8.GetString(bytes), Server, null);
    }

    /// <summary>GET /api/sweeps/{id}: every trial and the best one.</summary>
    public async Task<SweepStatusView> GetSweepAsync(string sweepId, CancellationToken cancellationToken)
    {
        string body = await ForSweepAsync(sweepId, () => SendForTextAsync(HttpMethod.Get, $"api/sweeps/{Uri.EscapeDataString(sweepId)}", null, sweepId, cancellationToken));
        return Deserialize<SweepStatusView>(body, "the sweep's status");
    }

    public async Task<IReadOnlyList<SweepSummary>> ListSweepsAsync(int top, CancellationToken cancellationToken)
    {
        string body = await SendForTextAsync(HttpMethod.Get, $"api/sweeps?top={top}", null, runId: null, cancellationToken);
        return Deserialize<SweepSummary[]>(body, "the sweep list");
    }

    public Task StopSweepAsync(string sweepId, CancellationToken cancellationToken) =>
        ForSweepAsync(sweepId, () => SendForTextAsync(HttpMethod.Post, $"api/sweeps/{Uri.EscapeDataString(sweepId)}/stop", null, sweepId, cancellationToken));

    /// <summary>An unknown sweep is named as a sweep, with the command that lists the sweeps.</summary>
    private async Task<string> ForSweepAsync(string sweepId, Func<Task<string>> send)
    {
        try
        {
            return await send();
        }
        catch (CliException exception) when (exception.ExitCode == Commands.ExitCodes.NotFound)
        {
            throw new CliException($"No sweep '{sweepId}' on the server at {ServerErrors.Display(Server)}. `dtrain sweep list` shows the sweeps it has.", Commands.ExitCodes.NotFound);
        }
    }

    /// <summary>PUT /api/models/{name}: stores a model file; the answer holds the SHA-256 a run pins.</summary>
    public async Task<StoredModelFile> UploadModelFileAsync(string name, byte[] content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        string answer = await SendForTextAsync(HttpMethod.Put, $"api/models/{Uri.EscapeDataString(name)}", body, runId: null, cancellationToken);
        return Deserialize<StoredModelFile>(answer, "the stored model file");
    }

    /// <summary>Stores one data file at <paramref name="path"/> in the server's datasets container.</summary>
    public async Task<DatasetFileInfo> UploadDatasetFileAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        string escaped = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        string answer = await SendForTextAsync(HttpMethod.Put, $"api/datasets/{escaped}", body, runId: null, cancellationToken);
        return Deserialize<DatasetFileInfo>(answer, "the stored data file");
    }

    /// <summary>The Durable Functions status query; <paramref name="statusUri"/> (from a start payload) wins over the run id.</summary>
    public async Task<InstanceStatus> GetStatusAsync(string runId, string? statusUri, CancellationToken cancellationToken)
    {
        string target = statusUri ?? $"{ManagementPayload.InstancesPath.TrimStart('/')}/{Uri.EscapeDataString(runId)}";
        string body = await SendForTextAsync(HttpMethod.Get, target, null, runId, cancellationToken);
        return Deserialize<InstanceStatus>(body, "the run's status");
    }

    public async Task<RunSummary> GetSummaryAsync(string runId, CancellationToken cancellationToken)
    {
        string body = await SendForTextAsync(HttpMethod.Get, $"api/training/{Uri.EscapeDataString(runId)}", null, runId, cancellationToken);
        return Deserialize<RunSummary>(body, "the run's summary");
    }

    public async Task<IReadOnlyList<RunSummary>> ListAsync(int top, CancellationToken cancellationToken)
    {
        string body = await SendForTextAsync(HttpMethod.Get, $"api/training?top={top}", null, runId: null, cancellationToken);
        return Deserialize<RunSummary[]>(body, "the run list");
    }

    public Task StopAsync(string runId, CancellationToken cancellationToken) =>
        SendForTextAsync(HttpMethod.Post, $"api/training/{Uri.EscapeDataString(runId)}/stop", null, runId, cancellationToken);

    public Task SuspendAsync(string runId, string? reason, CancellationToken cancellationToken) =>
        SendForTextAsync(HttpMethod.Post, InstanceAction(runId, "suspend", reason), null, runId, cancellationToken);

    public Task ResumeAsync(string runId, string? reason, CancellationToken cancellationToken) =>
        SendForTextAsync(HttpMethod.Post, InstanceAction(runId, "resume", reason), null, runId, cancellationToken);

    /// <summary>POST /api/training/{run}/generate: the answer's JSON as sent.</summary>
    public async Task<string> GenerateAsync(string runId, JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        return await SendForTextAsync(HttpMethod.Post, $"api/training/{Uri.EscapeDataString(runId)}/generate", content, runId, cancellationToken);
    }

    /// <summary>
    /// GET a run's sub-resource (metrics, model, model spec). Null when the server has no such route (an empty 404,
    /// as from a worker without it) while the run itself exists; an unknown run is a <see cref="CliException"/>.
    /// </summary>
    /// <param name="what">What the resource is, for the sentence when the run has none yet (409).</param>
    public async Task<byte[]?> GetRunResourceAsync(string runId, string relativePath, string what, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"api/training/{Uri.EscapeDataString(runId)}/{relativePath}", null, cancellationToken);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return bytes;
        }

        string body = Encoding.UTF8.GetString(bytes);
        if (response.StatusCode == HttpStatusCode.NotFound && ProblemDetails.TryParse(body) is null)
        {
            // No problem details: the route itself is missing. Make sure the run exists before saying so.
            await GetSummaryAsync(runId, cancellationToken);
            return null;
        }

        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            string detail = ProblemDetails.TryParse(body) is { } problem ? $" ({problem.Detail ?? problem.Title})" : string.Empty;
            throw new CliException($"Run '{runId}' has no {what} yet{detail}. Wait for it to end with `dtrain watch {runId}`, then try again.", Commands.ExitCodes.Rejected);
        }

        throw ServerErrors.FromResponse(response.StatusCode, body, Server, runId);
    }

    public void Dispose() => _http.Dispose();

    private static string InstanceAction(string runId, string action, string? reason) =>
        $"{ManagementPayload.InstancesPath.TrimStart('/')}/{Uri.EscapeDataString(runId)}/{action}" +
        (string.IsNullOrEmpty(reason) ? string.Empty : $"?reason={Uri.EscapeDataString(reason)}");

    private async Task<string> SendForTextAsync(HttpMethod method, string target, HttpContent? content, string? runId, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(method, target, content, cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ServerErrors.FromResponse(response.StatusCode, body, Server, runId);
        }

        return body;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string target, HttpContent? content, CancellationToken cancellationToken)
    {
        var uri = Uri.TryCreate(target, UriKind.Absolute, out Uri? absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? absolute
            : new Uri(_base, target);
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException exception) when (ServerErrors.IsConnectionFailure(exception))
        {
            throw ServerErrors.Unreachable(Server);
        }
        catch (HttpRequestException exception)
        {
            throw new CliException($"The connection to {ServerErrors.Display(Server)} failed: {exception.Message}. Check --server.", Commands.ExitCodes.Unreachable);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw ServerErrors.TimedOut(Server, _http.Timeout);
        }
    }

    private T Deserialize<T>(string body, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, MessageJson.Options)
                ?? throw new CliException($"The server at {ServerErrors.Display(Server)} sent an empty answer for {what}.", Commands.ExitCodes.Unreachable);
        }
        catch (JsonException)
        {
            throw new CliException($"The server at {ServerErrors.Display(Server)} sent something that is not {what}. Is --server a DurableTrainer server?", Commands.ExitCodes.Unreachable);
        }
    }
}
