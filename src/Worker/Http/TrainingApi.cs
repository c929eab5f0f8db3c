using System.Text.Json;
using DurableTrainer.Api;
using DurableTrainer.Durable;
using DurableTrainer.Worker.Engine;

namespace DurableTrainer.Worker.Http;

/// <summary>
/// Maps the shared <see cref="TrainingHttpApi"/> onto Kestrel: the training routes and the Durable Functions
/// instance-management routes, with the same paths and shapes as the Functions app.
/// </summary>
public static class TrainingApi
{
    public static IEndpointRouteBuilder MapTrainingApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/training", async (HttpRequest request, TrainingHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            byte[] body = await RequestBody.ReadAsync(request.Body, cancellationToken);
            string baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}";
            // With an API key the management URLs carry it, as Durable Functions' URLs carry the system key.
            string? key = request.HttpContext.RequestServices.GetRequiredService<IConfiguration>()["Security:ApiKey"];
            string? keyQuery = string.IsNullOrEmpty(key) ? null : $"{ApiKeyMiddleware.QueryName}={Uri.EscapeDataString(key)}";
            return Write(await api.StartAsync(body, runId => ManagementPayload.Create(baseUrl, runId, engine.HubName, keyQuery), cancellationToken));
        });
        routes.MapPost("/api/sweeps", async (HttpRequest request, SweepHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            byte[] body = await RequestBody.ReadAsync(request.Body, SweepRequestReaderLimit, cancellationToken);
            string baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}";
            string? key = request.HttpContext.RequestServices.GetRequiredService<IConfiguration>()["Security:ApiKey"];
            string? keyQuery = string.IsNullOrEmpty(key) ? null : $"{ApiKeyMiddleware.QueryName}={Uri.EscapeDataString(key)}";
            return Write(await api.StartAsync(body, sweepId => ManagementPayload.Create(baseUrl, sweepId, engine.HubName, keyQuery), cancellationToken));
        });
        routes.MapGet("/api/sweeps", async (string? top, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ListAsync(top, cancellationToken)));
        routes.MapGet("/api/sweeps/{sweepId}", async (string sweepId, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetAsync(sweepId, cancellationToken)));
        routes.MapGet("/api/sweeps/{sweepId}/best", async (string sweepId, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetBestAsync(sweepId, cancellationToken)));
        routes.MapPost("/api/sweeps/{sweepId}/stop", async (string sweepId, SweepHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.StopAsync(sweepId, cancellationToken)));
        routes.MapGet("/api/training", async (string? top, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ListAsync(top, cancellationToken)));
        routes.MapGet("/api/training/{runId}", async (string runId, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetSummaryAsync(runId, cancellationToken)));
        routes.MapGet("/api/training/{runId}/model", async (string runId, string? format, string? checkpoint, ModelExportHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetModelAsync(runId, format, checkpoint, cancellationToken)));
        routes.MapGet("/api/training/{runId}/model/spec", async (string runId, string? checkpoint, ModelExportHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.GetSpecAsync(runId, checkpoint, cancellationToken)));
        routes.MapPut(ModelFileHttpApi.RoutePrefix + "{name}", async (string name, HttpRequest request, ModelFileHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.UploadAsync(name, await UploadedBodyAsync(request, ModelFileHttpApi.MaxBodyBytes, cancellationToken), cancellationToken)));
        routes.MapPut(DatasetFileHttpApi.RoutePrefix + "{**path}", async (string path, HttpRequest request, DatasetFileHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.UploadAsync(path, await UploadedBodyAsync(request, DatasetFileHttpApi.MaxBodyBytes, cancellationToken), cancellationToken)));
        routes.MapGet("/api/training/{runId}/metrics", async (string runId, string? after, string? kind, TrainingDashboardApi dashboard, CancellationToken cancellationToken) =>
            Write(await dashboard.GetMetricsAsync(runId, after, kind, cancellationToken)));
        routes.MapGet("/api/training/{runId}/checkpoints/{**name}", async (string runId, string? name, TrainingDashboardApi dashboard, CancellationToken cancellationToken) =>
            Write(await dashboard.GetCheckpointAsync(runId, name, cancellationToken)));
        routes.MapGet("/dashboard", () => Write(TrainingDashboardApi.Dashboard()));
        routes.MapGet("/dashboard/{runId}", (string runId) => Write(TrainingDashboardApi.Dashboard()));
        routes.MapGet("/dashboard/sweeps/{sweepId}", (string sweepId) => Write(TrainingDashboardApi.Dashboard()));
        routes.MapPost("/api/training/{runId}/stop", async (string runId, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.StopAsync(runId, cancellationToken)));

        RouteGroupBuilder instances = routes.MapGroup(ManagementPayload.InstancesPath + "/{instanceId}");
        instances.MapGet(string.Empty, async (string instanceId, string? showHistory, string? showHistoryOutput, TrainingHttpApi api, DurableEngine engine, CancellationToken cancellationToken) =>
        {
            ApiResult status = await api.GetStatusAsync(instanceId, cancellationToken);
            if (!IsTrue(showHistory) || status.Body is not InstanceStatus instance)
            {
                return Write(status);
            }

            var withHistory = JsonSerializer.SerializeToNode(instance)!.AsObject();
            withHistory["historyEvents"] = await OrchestrationHistory.ReadAsync(engine, instanceId, IsTrue(showHistoryOutput));
            return Write(status with { Body = withHistory });
        });
        instances.MapDelete(string.Empty, async (string instanceId, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.PurgeAsync(instanceId, cancellationToken)));
        instances.MapPost("/raiseEvent/{eventName}", async (string instanceId, string eventName, HttpRequest request, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.RaiseEventAsync(instanceId, eventName, await RequestBody.ReadAsync(request.Body, cancellationToken), cancellationToken)));
        instances.MapPost("/terminate", async (string instanceId, string? reason, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.TerminateAsync(instanceId, reason, cancellationToken)));
        instances.MapPost("/suspend", async (string instanceId, string? reason, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.SuspendAsync(instanceId, reason, cancellationToken)));
        instances.MapPost("/resume", async (string instanceId, string? reason, TrainingHttpApi api, CancellationToken cancellationToken) =>
            Write(await api.ResumeAsync(instanceId, reason, cancellationToken)));
        return routes;
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
                await System.Text.Json.JsonSerializer.SerializeAsync(response.Body, result.Body, result.Body.GetType(), DurableJson.Options, httpContext.RequestAborted);
            }
        }
    }
}
