using System.Text.Json;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Contracts;
using DurableTrainer.Worker.Engine;

namespace DurableTrainer.Worker.Http;

/// <summary>
/// Maps the shared <see cref="TrainingHttpApi"/> onto Kestrel: the training routes and the Durable Functions
/// instance-management routes, with the same paths and shapes as the Functions app.
/// </summary>
public static class TrainingApi
{
    /// <summary>
    /// Maps every route of <see cref="ApiRoutes.All"/> to its handler below. A route without a handler, or a handler
    /// without a route, stops the worker at start-up: the table is the one list of routes.
    /// </summary>
    public static IEndpointRouteBuilder MapTrainingApi(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        Dictionary<ApiRoute, Delegate> handlers = Handlers();
        string[] unhandled = [.. ApiRoutes.All.Where(route => !handlers.ContainsKey(route)).Select(route => route.Name)];
        string[] unlisted = [.. handlers.Keys.Where(route => !ApiRoutes.All.Contains(route)).Select(route => route.Name)];
        if (unhandled.Length > 0 || unlisted.Length > 0)
        {
            throw new InvalidOperationException($"The worker's handlers do not match ApiRoutes: no handler for [{string.Join(", ", unhandled)}], not in the table [{string.Join(", ", unlisted)}].");
        }

        foreach (ApiRoute route in ApiRoutes.All)
        {
            routes.MapMethods(route.WorkerPath, [route.Method], handlers[route]);
        }

        return routes;
    }

    private static Dictionary<ApiRoute, Delegate> Handlers() => new()
    {
        [ApiRoutes.StartTraining] = async (HttpRequest request, TrainingHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            byte[] body = await RequestBody.ReadAsync(request.Body, cancellationToken);
            return Write(await api.StartAsync(body, runId => Management(request, engine, runId), cancellationToken));
        },
        [ApiRoutes.StartSweep] = async (HttpRequest request, SweepHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            byte[] body = await RequestBody.ReadAsync(request.Body, SweepRequestReaderLimit, cancellationToken);
            return Write(await api.StartAsync(body, sweepId => Management(request, engine, sweepId), cancellationToken));
        },
        [ApiRoutes.ListSweeps] = async (string? top, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ListAsync(top, cancellationToken)),
        [ApiRoutes.GetSweep] = async (string sweepId, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetAsync(sweepId, cancellationToken)),
        [ApiRoutes.GetSweepBest] = async (string sweepId, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetBestAsync(sweepId, cancellationToken)),
        [ApiRoutes.StopSweep] = async (string sweepId, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.StopAsync(sweepId, cancellationToken)),
        [ApiRoutes.ListTrainingRuns] = async (string? top, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ListAsync(top, cancellationToken)),
        [ApiRoutes.GetTrainingRun] = async (string runId, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetSummaryAsync(runId, cancellationToken)),
        [ApiRoutes.StopTrainingRun] = async (string runId, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.StopAsync(runId, cancellationToken)),
        [ApiRoutes.ExportTrainingModel] = async (string runId, string? format, string? checkpoint, ModelExportHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetModelAsync(runId, format, checkpoint, cancellationToken)),
        [ApiRoutes.ExportTrainingModelSpec] = async (string runId, string? checkpoint, ModelExportHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetSpecAsync(runId, checkpoint, cancellationToken)),
        [ApiRoutes.PredictWithRun] = async (string runId, HttpRequest request, PredictionHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.PredictRowsAsync(runId, await UploadedBodyAsync(request, PredictionHttpApi.MaxPredictBodyBytes, cancellationToken), cancellationToken)),
        [ApiRoutes.GenerateWithRun] = async (string runId, HttpRequest request, GenerationHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GenerateAsync(runId, await UploadedBodyAsync(request, GenerationHttpApi.MaxBodyBytes, cancellationToken), cancellationToken)),
        [ApiRoutes.StartPrediction] = async (HttpRequest request, PredictionHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            byte[] body = await RequestBody.ReadAsync(request.Body, Api.Requests.PredictionRequestReader.MaxBodyBytes, cancellationToken);
            return Write(await api.StartAsync(body, predictionId => Management(request, engine, predictionId), cancellationToken));
        },
        [ApiRoutes.ListPredictions] = async (string? top, PredictionHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ListAsync(top, cancellationToken)),
        [ApiRoutes.GetPrediction] = async (string predictionId, PredictionHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetAsync(predictionId, cancellationToken)),
        [ApiRoutes.StopPrediction] = async (string predictionId, PredictionHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.StopAsync(predictionId, cancellationToken)),
        [ApiRoutes.GetPredictionPart] = async (string predictionId, string index, PredictionHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetPartAsync(predictionId, index, cancellationToken)),
        [ApiRoutes.UploadModelFile] = async (string name, HttpRequest request, ModelFileHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.UploadAsync(name, await UploadedBodyAsync(request, ModelFileHttpApi.MaxBodyBytes, cancellationToken), cancellationToken)),
        [ApiRoutes.UploadDatasetFile] = async (string path, HttpRequest request, DatasetFileHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.UploadAsync(path, await UploadedBodyAsync(request, DatasetFileHttpApi.MaxBodyBytes, cancellationToken), cancellationToken)),
        [ApiRoutes.GetTrainingMetrics] = async (string runId, string? after, string? kind, TrainingDashboardApi dashboard, CancellationToken cancellationToken) =>
            Write(await dashboard.GetMetricsAsync(runId, after, kind, cancellationToken)),
        [ApiRoutes.GetTrainingCheckpoint] = async (string runId, string? name, TrainingDashboardApi dashboard, CancellationToken cancellationToken) =>
            Write(await dashboard.GetCheckpointAsync(runId, name, cancellationToken)),
        [ApiRoutes.TrainingDashboard] = () => Write(TrainingDashboardApi.Dashboard()),
        [ApiRoutes.SweepDashboard] = () => Write(TrainingDashboardApi.Dashboard()),
        [ApiRoutes.PredictionDashboard] = () => Write(TrainingDashboardApi.Dashboard()),
        // 503 until the task hub is ready, so whoever waits for the worker waits for storage too.
        [ApiRoutes.Health] = (DurableEngine engine) => engine.IsReady
            ? Results.Ok(new { status = "ok" })
            : Results.Json(new { status = "starting", detail = engine.NotReadyReason }, statusCode: StatusCodes.Status503ServiceUnavailable),
        [ApiRoutes.GetInstanceStatus] = async (string instanceId, string? showHistory, string? showHistoryOutput, TrainingHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            ApiResult status = await api.GetStatusAsync(instanceId, cancellationToken);
            if (!IsTrue(showHistory) || status.Body is not InstanceStatus instance)
            {
                return Write(status);
            }

            var withHistory = JsonSerializer.SerializeToNode(instance)!.AsObject();
            withHistory["historyEvents"] = await OrchestrationHistory.ReadAsync(engine, instanceId, IsTrue(showHistoryOutput));
            return Write(status with { Body = withHistory });
        },
        [ApiRoutes.PurgeInstance] = async (string instanceId, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.PurgeAsync(instanceId, cancellationToken)),
        [ApiRoutes.RaiseInstanceEvent] = async (string instanceId, string eventName, HttpRequest request, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.RaiseEventAsync(instanceId, eventName, await RequestBody.ReadAsync(request.Body, cancellationToken), cancellationToken)),
        [ApiRoutes.TerminateInstance] = async (string instanceId, string? reason, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.TerminateAsync(instanceId, reason, cancellationToken)),
        [ApiRoutes.SuspendInstance] = async (string instanceId, string? reason, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.SuspendAsync(instanceId, reason, cancellationToken)),
        [ApiRoutes.ResumeInstance] = async (string instanceId, string? reason, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ResumeAsync(instanceId, reason, cancellationToken)),
    };

    /// <summary>
    /// The management URLs of a run or sweep this worker started. With an API key they carry it, as Durable
    /// Functions' URLs carry the system key.
    /// </summary>
    private static ManagementPayload Management(HttpRequest request, DurableEngine engine, string instanceId)
    {
        string baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}";
        string? key = request.HttpContext.RequestServices.GetRequiredService<IConfiguration>()["Security:ApiKey"];
        string? keyQuery = string.IsNullOrEmpty(key) ? null : $"{ApiKeyMiddleware.QueryName}={Uri.EscapeDataString(key)}";
        return ManagementPayload.Create(baseUrl, instanceId, engine.HubName, keyQuery);
    }

    private const int SweepRequestReaderLimit = Api.Requests.SweepRequestReader.MaxBodyBytes;

    private static ApiResultWriter Write(ApiResult result) => new(result);

    // Durable Functions' query flags: "true" in any case turns them on, anything else leaves them off.
    private static bool IsTrue(string? flag) => string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An upload's body, read up to <paramref name="maxBytes"/> and one more (so the API can tell an oversized file).
    /// Kestrel's own cap (30 MB) is below a model or data file's; the API enforces its limit while reading.
    /// </summary>
    private static async Task<byte[]> UploadedBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes + 1L;
        }

        return await RequestBody.ReadAsync(request.Body, maxBytes, cancellationToken);
    }

    private sealed class ApiResultWriter(ApiResult result) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            HttpResponse response = httpContext.Response;
            response.StatusCode = result.StatusCode;
            if (result.Location is not null)
            {
                response.Headers.Location = result.Location;
            }

            if (result.Body is byte[] bytes)
            {
                response.ContentType = result.ContentType;
                response.ContentLength = bytes.Length;
                if (result.FileName is not null)
                {
                    response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = result.FileName }.ToString();
                }

                await response.Body.WriteAsync(bytes, httpContext.RequestAborted);
            }
            else if (result.Body is string text)
            {
                response.ContentType = result.ContentType;
                await response.WriteAsync(text, httpContext.RequestAborted);
            }
            else if (result.Body is not null)
            {
                response.ContentType = result.ContentType;
                await System.Text.Json.JsonSerializer.SerializeAsync(response.Body, result.Body, result.Body.GetType(), MessageJson.Options, httpContext.RequestAborted);
            }
        }
    }
}
