using DurableTrainer.Api;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>The sweep routes as HTTP-triggered functions (function keys required), over the shared <see cref="SweepHttpApi"/>.</summary>
public sealed class SweepHttpFunctions(TimeProvider timeProvider, IDatasetCatalog datasets, IModelCatalog models, ISweepStore sweeps)
{
    [Function("StartSweep")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sweeps")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = await RequestBody.ReadAsync(request.Body, SweepRequestReader.MaxBodyBytes, cancellationToken);
        ApiResult result = await Api(client).StartAsync(body, sweepId => TrainingHttpFunctions.ManagementUrls(client, request, sweepId), cancellationToken);
        return TrainingHttpFunctions.Write(request, result);
    }

    [Function("ListSweeps")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sweeps")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return TrainingHttpFunctions.Write(request, await Api(client).ListAsync(request.Query["top"].FirstOrDefault(), cancellationToken));
    }

    [Function("GetSweep")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sweeps/{sweepId}")] HttpRequest request,
        string sweepId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        TrainingHttpFunctions.Write(request, await Api(client).GetAsync(sweepId, cancellationToken));

    [Function("GetSweepBest")]
    public async Task<IActionResult> GetBest(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sweeps/{sweepId}/best")] HttpRequest request,
        string sweepId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        TrainingHttpFunctions.Write(request, await Api(client).GetBestAsync(sweepId, cancellationToken));

    [Function("StopSweep")]
    public async Task<IActionResult> Stop(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sweeps/{sweepId}/stop")] HttpRequest request,
        string sweepId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        TrainingHttpFunctions.Write(request, await Api(client).StopAsync(sweepId, cancellationToken));

    private SweepHttpApi Api(DurableTaskClient client)
    {
        var runs = new DurableTaskClientRuns(client);
        return new SweepHttpApi(new StartSweepUseCase(runs, sweeps, timeProvider, datasets, models), sweeps, runs);
    }
}
