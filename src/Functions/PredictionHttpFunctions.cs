using DurableTrainer.Api;
using DurableTrainer.Api.Requests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>The prediction and generation routes as HTTP-triggered functions (function keys required), over the shared <see cref="PredictionHttpApi"/>.</summary>
public sealed class PredictionHttpFunctions(PredictionHttpApi predictions, GenerationHttpApi generation)
{
    [Function("PredictWithRun")]
    public async Task<IActionResult> Predict(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "training/{runId}/predict")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        byte[] body = await RequestBody.ReadAsync(request.Body, PredictionHttpApi.MaxPredictBodyBytes, cancellationToken);
        return TrainingHttpFunctions.Write(request, await predictions.PredictRowsAsync(runId, body, cancellationToken));
    }

    [Function("GenerateWithRun")]
    public async Task<IActionResult> Generate(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "training/{runId}/generate")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        byte[] body = await RequestBody.ReadAsync(request.Body, GenerationHttpApi.MaxBodyBytes, cancellationToken);
        return TrainingHttpFunctions.Write(request, await generation.GenerateAsync(runId, body, cancellationToken));
    }

    [Function("StartPrediction")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "predictions")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        byte[] body = await RequestBody.ReadAsync(request.Body, PredictionRequestReader.MaxBodyBytes, cancellationToken);
        ApiResult result = await predictions.StartAsync(body, id => TrainingHttpFunctions.ManagementUrls(client, request, id), cancellationToken);
        return TrainingHttpFunctions.Write(request, result);
    }

    [Function("ListPredictions")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "predictions")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await predictions.ListAsync(request.Query["top"].FirstOrDefault(), cancellationToken));
    }

    [Function("GetPrediction")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "predictions/{predictionId}")] HttpRequest request,
        string predictionId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await predictions.GetAsync(predictionId, cancellationToken));
    }

    [Function("StopPrediction")]
    public async Task<IActionResult> Stop(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "predictions/{predictionId}/stop")] HttpRequest request,
        string predictionId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await predictions.StopAsync(predictionId, cancellationToken));
    }

    [Function("GetPredictionPart")]
    public async Task<IActionResult> GetPart(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "predictions/{predictionId}/parts/{index}")] HttpRequest request,
        string predictionId,
        string index,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await predictions.GetPartAsync(predictionId, index, cancellationToken));
    }
}
