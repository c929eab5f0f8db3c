using DurableTask.Core;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Durable;
using DurableTrainer.Worker.Engine;

namespace DurableTrainer.Worker.Http;

/// <summary>
/// The HTTP API: start a run, and the Durable Functions instance-management routes (status, raise event, terminate,
/// suspend, resume, purge) with the same paths and shapes, so a client written for one host works with the other.
/// </summary>
public static class TrainingApi
{
    public static IEndpointRouteBuilder MapTrainingApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/training", StartAsync);
        RouteGroupBuilder instances = routes.MapGroup(ManagementPayload.InstancesPath + "/{instanceId}");
        instances.MapGet(string.Empty, GetStatusAsync);
        instances.MapDelete(string.Empty, PurgeAsync);
        instances.MapPost("/raiseEvent/{eventName}", RaiseEventAsync);
        instances.MapPost("/terminate", TerminateAsync);
        instances.MapPost("/suspend", SuspendAsync);
        instances.MapPost("/resume", ResumeAsync);
        return routes;
    }

    private static async Task<IResult> StartAsync(HttpRequest request, TrainModelUseCase useCase, DurableEngine engine, CancellationToken cancellationToken)
    {
        byte[]? body = await ReadLimitedAsync(request, TrainingRequestReader.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Results.Json(
                ProblemDetailsFactory.Validation([new("body", $"must be at most {TrainingRequestReader.MaxBodyBytes} bytes")], 413),
                statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var (trainingRequest, readErrors) = TrainingRequestReader.Read(body);
        if (trainingRequest is null)
        {
            return Results.Json(ProblemDetailsFactory.Validation(readErrors), statusCode: StatusCodes.Status400BadRequest, contentType: "application/problem+json");
        }

        StartTrainingResult result = await useCase.StartAsync(trainingRequest, cancellationToken);
        if (result.Errors.Count > 0)
        {
            int status = result.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest;
            return Results.Json(ProblemDetailsFactory.Validation(result.Errors, status), statusCode: status, contentType: "application/problem+json");
        }

        ManagementPayload payload = ManagementPayload.Create(BaseUrl(request), result.RunId!, engine.HubName);
        return Results.Json(payload, statusCode: StatusCodes.Status202Accepted) is var json
            ? new AcceptedWithLocation(payload.StatusQueryGetUri, json)
            : json;
    }

    private static async Task<IResult> GetStatusAsync(string instanceId, DurableEngine engine)
    {
        if (!TrainingRequestMapper.IsValidRunId(instanceId))
        {
            return UnknownInstance(instanceId);
        }

        OrchestrationState? state = await engine.Client.GetOrchestrationStateAsync(instanceId);
        if (state is null)
        {
            return UnknownInstance(instanceId);
        }

        var status = new InstanceStatus(
            state.Name,
            state.OrchestrationInstance.InstanceId,
            state.OrchestrationStatus.ToString(),
            InstanceStatus.ParsePayload(state.Input),
            InstanceStatus.ParsePayload(state.Status),
            InstanceStatus.ParsePayload(state.Output),
            state.CreatedTime,
            state.LastUpdatedTime);
        return Results.Json(status, DurableJson.Options, statusCode: status.IsRunning ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    private static async Task<IResult> RaiseEventAsync(string instanceId, string eventName, HttpRequest request, DurableEngine engine, CancellationToken cancellationToken)
    {
        if (await FindAsync(instanceId, engine) is not { } state)
        {
            return UnknownInstance(instanceId);
        }

        byte[]? body = await ReadLimitedAsync(request, TrainingRequestReader.MaxBodyBytes, cancellationToken);
        object? data = body is { Length: > 0 } ? InstanceStatus.ParsePayload(System.Text.Encoding.UTF8.GetString(body)) : null;
        await engine.Client.RaiseEventAsync(state.OrchestrationInstance, eventName, data!);
        return Results.Accepted();
    }

    private static async Task<IResult> TerminateAsync(string instanceId, string? reason, DurableEngine engine)
    {
        if (await FindAsync(instanceId, engine) is not { } state)
        {
            return UnknownInstance(instanceId);
        }

        await engine.Client.TerminateInstanceAsync(state.OrchestrationInstance, reason ?? "Terminated through the HTTP API.");
        return Results.Accepted();
    }

    private static async Task<IResult> SuspendAsync(string instanceId, string? reason, DurableEngine engine)
    {
        if (await FindAsync(instanceId, engine) is not { } state)
        {
            return UnknownInstance(instanceId);
        }

        await engine.Client.SuspendInstanceAsync(state.OrchestrationInstance, reason);
        return Results.Accepted();
    }

    private static async Task<IResult> ResumeAsync(string instanceId, string? reason, DurableEngine engine)
    {
        if (await FindAsync(instanceId, engine) is not { } state)
        {
            return UnknownInstance(instanceId);
        }

        await engine.Client.ResumeInstanceAsync(state.OrchestrationInstance, reason);
        return Results.Accepted();
    }

    private static async Task<IResult> PurgeAsync(string instanceId, DurableEngine engine)
    {
        if (await FindAsync(instanceId, engine) is null)
        {
            return UnknownInstance(instanceId);
        }

        var purged = await engine.Service.PurgeInstanceHistoryAsync(instanceId);
        return Results.Json(new { instancesDeleted = purged.InstancesDeleted });
    }

    private static async Task<OrchestrationState?> FindAsync(string instanceId, DurableEngine engine) =>
        TrainingRequestMapper.IsValidRunId(instanceId) ? await engine.Client.GetOrchestrationStateAsync(instanceId) : null;

    private static IResult UnknownInstance(string instanceId) => Results.Json(
        new { title = "No such training run.", status = 404, detail = $"No run with id '{Truncate(instanceId)}' exists in this task hub." },
        statusCode: StatusCodes.Status404NotFound,
        contentType: "application/problem+json");

    private static string Truncate(string text) => text.Length > 80 ? text[..80] + "..." : text;

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>Reads the body, or returns null when it is larger than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadLimitedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>202 with a Location header pointing at the status query, as Durable Functions answers a start.</summary>
    private sealed class AcceptedWithLocation(string location, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
