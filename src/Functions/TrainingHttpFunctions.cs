using System.Text.Json;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>
/// The training routes as HTTP-triggered functions (function keys required). The instance-management routes in
/// the management payload are served by the Durable Functions extension itself.
/// </summary>
public sealed class TrainingHttpFunctions(TrainingHttpApi training, ModelExportHttpApi export, ModelFileHttpApi modelFiles, DatasetFileHttpApi datasetFiles)
{
    [Function("StartTraining")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "training")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        byte[] body = await RequestBody.ReadAsync(request.Body, cancellationToken);
        ApiResult result = await training.StartAsync(body, runId => ManagementUrls(client, request, runId), cancellationToken);
        return Write(request, result);
    }

    [Function("ListTrainingRuns")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "training")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        return Write(request, await training.ListAsync(request.Query["top"].FirstOrDefault(), cancellationToken));
    }

    [Function("GetTrainingRun")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "training/{runId}")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return Write(request, await training.GetSummaryAsync(runId, cancellationToken));
    }

    [Function("ExportTrainingModel")]
    public async Task<IActionResult> ExportModel(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "training/{runId}/model")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        return Write(request, await export.GetModelAsync(runId, request.Query["format"].FirstOrDefault(), request.Query["checkpoint"].FirstOrDefault(), cancellationToken));
    }

    [Function("ExportTrainingModelSpec")]
    public async Task<IActionResult> ExportModelSpec(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "training/{runId}/model/spec")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        return Write(request, await export.GetSpecAsync(runId, request.Query["checkpoint"].FirstOrDefault(), cancellationToken));
    }

    [Function("UploadModelFile")]
    public async Task<IActionResult> UploadModelFile(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "models/{name}")] HttpRequest request,
        string name,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = await RequestBody.ReadAsync(request.Body, ModelFileHttpApi.MaxBodyBytes, cancellationToken);
        return Write(request, await modelFiles.UploadAsync(name, body, cancellationToken));
    }

    [Function("UploadDatasetFile")]
    public async Task<IActionResult> UploadDatasetFile(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "datasets/{*path}")] HttpRequest request,
        string path,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = await RequestBody.ReadAsync(request.Body, DatasetFileHttpApi.MaxBodyBytes, cancellationToken);
        return Write(request, await datasetFiles.UploadAsync(path, body, cancellationToken));
    }

    [Function("StopTrainingRun")]
    public async Task<IActionResult> Stop(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "training/{runId}/stop")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return Write(request, await training.StopAsync(runId, cancellationToken));
    }

    /// <summary>
    /// The extension builds the URLs (with the system key) from its binding data; a client without that data (a
    /// test double, say) gets the same layout built from the request.
    /// </summary>
    internal static ManagementPayload ManagementUrls(DurableTaskClient client, HttpRequest request, string runId)
    {
        try
        {
            var payload = client.CreateHttpManagementPayload(runId);
            return new ManagementPayload(
                payload.Id ?? runId,
                payload.StatusQueryGetUri ?? string.Empty,
                payload.SendEventPostUri ?? string.Empty,
                payload.TerminatePostUri ?? string.Empty,
                payload.PurgeHistoryDeleteUri ?? string.Empty,
                payload.SuspendPostUri ?? string.Empty,
                payload.ResumePostUri ?? string.Empty);
        }
        catch (InvalidOperationException)
        {
            return ManagementPayload.Create($"{request.Scheme}://{request.Host}{request.PathBase}", runId, client.Name);
        }
    }

    internal static IActionResult Write(HttpRequest request, ApiResult result)
    {
        if (result.Location is not null)
        {
            request.HttpContext.Response.Headers.Location = result.Location;
        }

        if (result.Body is byte[] bytes)
        {
            return new FileContentResult(bytes, result.ContentType) { FileDownloadName = result.FileName };
        }

        if (result.Body is string text)
        {
            return new ContentResult { StatusCode = result.StatusCode, ContentType = result.ContentType, Content = text };
        }

        return result.Body is null
            ? new StatusCodeResult(result.StatusCode)
            : new ContentResult
            {
                StatusCode = result.StatusCode,
                ContentType = result.ContentType,
                Content = JsonSerializer.Serialize(result.Body, result.Body.GetType(), MessageJson.Options),
            };
    }
}
