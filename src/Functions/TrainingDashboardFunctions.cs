using DurableTrainer.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>
/// The metrics, checkpoint and dashboard routes as HTTP-triggered functions (function keys required; the page
/// passes its <c>?code=</c> on to every request it makes). Behind the host's route prefix: <c>/api/dashboard/{runId}</c>.
/// </summary>
public sealed class TrainingDashboardFunctions(TrainingDashboardApi dashboard)
{
    [Function("GetTrainingMetrics")]
    public async Task<IActionResult> Metrics(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "training/{runId}/metrics")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await dashboard.GetMetricsAsync(runId, request.Query["after"].FirstOrDefault(), request.Query["kind"].FirstOrDefault(), cancellationToken));
    }

    [Function("GetTrainingCheckpoint")]
    public async Task<IActionResult> Checkpoint(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "training/{runId}/checkpoints/{*name}")] HttpRequest request,
        string runId,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        using var scope = InvocationDurableClient.Use(client);
        return TrainingHttpFunctions.Write(request, await dashboard.GetCheckpointAsync(runId, name, cancellationToken));
    }

    [Function("TrainingDashboard")]
    public static IActionResult Dashboard(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dashboard/{runId?}")] HttpRequest request) =>
        TrainingHttpFunctions.Write(request, TrainingDashboardApi.Dashboard());

    [Function("SweepDashboard")]
    public static IActionResult SweepDashboard(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dashboard/sweeps/{sweepId}")] HttpRequest request) =>
        TrainingHttpFunctions.Write(request, TrainingDashboardApi.Dashboard());

    [Function("PredictionDashboard")]
    public static IActionResult PredictionDashboard(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dashboard/predictions/{predictionId}")] HttpRequest request) =>
        TrainingHttpFunctions.Write(request, TrainingDashboardApi.Dashboard());
}
