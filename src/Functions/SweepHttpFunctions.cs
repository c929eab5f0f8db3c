using DurableTrainer.Api;
using DurableTrainer.Api.Requests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>The sweep routes as HTTP-triggered functions (function keys required), over the shared <see cref="SweepHttpApi"/>.</summary>
public sealed class SweepHttpFunctions(SweepHttpApi sweeps)
{
    [Function("StartSweep")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sweeps")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        byte[] body = await RequestBody.ReadAsync(request.Body, SweepRequestReader.MaxBodyBytes, cancellationToken);
        ApiResult result = await sweeps.StartAsync(body, sweepId => TrainingHttpFunctions.ManagementUrls(client, request, sweepId), cancellationToken);
        return TrainingHttpFunctions.Write(request, result);
    }

    [Function("ListSweeps")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sweeps")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await sweeps.ListAsync(request.Query["top"].FirstOrDefault(), cancellationToken));
    }

    [Function("GetSweep")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sweeps/{sweepId}")] HttpRequest request,
        string sweepId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await sweeps.GetAsync(sweepId, cancellationToken));
    }

    [Function("GetSweepBest")]
    public async Task<IActionResult> GetBest(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sweeps/{sweepId}/best")] HttpRequest request,
        string sweepId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await sweeps.GetBestAsync(sweepId, cancellationToken));
    }

    [Function("StopSweep")]
    public async Task<IActionResult> Stop(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sweeps/{sweepId}/stop")] HttpRequest request,
        string sweepId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await sweeps.StopAsync(sweepId, cancellationToken));
    }
}
