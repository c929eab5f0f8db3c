using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;

namespace DurableTrainer.Api;

/// <summary>
/// The sweep routes, shared by both hosts: start (202 with the management URLs of the sweep's orchestration),
/// status, the best trial, stop and list. Client mistakes get a 4xx with problem details naming the path and rule.
/// </summary>
public sealed class SweepHttpApi(StartSweepUseCase useCase, ISweepStore store, ITrainingRunClient runs)
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>POST /api/sweeps.</summary>
    public async Task<ApiResult> StartAsync(ReadOnlyMemory<byte> body, Func<string, ManagementPayload> managementPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(managementPayload);
        var (request, readErrors) = SweepRequestReader.Read(body.Span);
        if (request is null)
        {
            int status = body.Length > SweepRequestReader.MaxBodyBytes ? 413 : 400;
            return Problem(readErrors, status);
        }

        StartSweepResult result = await useCase.StartAsync(request, cancellationToken);
        if (!result.Started)
        {
            return Problem(result.Errors, result.Conflict ? 409 : 400);
        }

        ManagementPayload payload = managementPayload(result.SweepId!);
        return new ApiResult(202, payload, payload.StatusQueryGetUri);
    }

    /// <summary>GET /api/sweeps/{id}: every trial's parameters, status, last rung, metric and steps, and the best trial.</summary>
    public async Task<ApiResult> GetAsync(string sweepId, CancellationToken cancellationToken)
    {
        if (await FindAsync(sweepId, cancellationToken) is not { } found)
        {
            return UnknownSweep(sweepId);
        }

        (RunRecord? instance, SweepRecord record) = found;
        return new ApiResult(200, new SweepStatusView(record.SweepId, instance?.RuntimeStatus ?? InstanceRuntimeStatus.Pending, instance?.CreatedTime, instance?.LastUpdatedTime, record, record.Best));
    }

    /// <summary>GET /api/sweeps/{id}/best: the best trial so far; its model comes from the run routes under its run id.</summary>
    public async Task<ApiResult> GetBestAsync(string sweepId, CancellationToken cancellationToken)
    {
        if (await FindAsync(sweepId, cancellationToken) is not { } found)
        {
            return UnknownSweep(sweepId);
        }

        return found.Record.Best is { } best
            ? new ApiResult(200, new { sweepId, metric = found.Record.Metric, mode = found.Record.Mode, trial = best, model = $"/api/training/{best.RunId}/model" })
            : new ApiResult(404, new { type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.5", title = "No best trial yet.", status = 404, detail = $"No trial of sweep '{sweepId}' has reported a metric yet." }, ContentType: ProblemJson);
    }

    /// <summary>POST /api/sweeps/{id}/stop: nothing new starts; running trials finish their round and end stopped.</summary>
    public async Task<ApiResult> StopAsync(string sweepId, CancellationToken cancellationToken)
    {
        if (await FindAsync(sweepId, cancellationToken) is null)
        {
            return UnknownSweep(sweepId);
        }

        await runs.RaiseEventAsync(sweepId, Durable.Adapters.SweepEvents.Stop, null, cancellationToken);
        return new ApiResult(202, null);
    }

    /// <summary>GET /api/sweeps: recent sweeps, newest first.</summary>
    public async Task<ApiResult> ListAsync(string? top, CancellationToken cancellationToken)
    {
        int count = 20;
        if (top is not null && (!int.TryParse(top, out count) || count < 1 || count > ApiLimits.MaxListed))
        {
            return Problem([new ValidationError("top", $"must be a whole number between 1 and {ApiLimits.MaxListed}")], 400);
        }

        IReadOnlyList<RunRecord> records = await runs.ListAsync(int.MaxValue, cancellationToken);
        return new ApiResult(200, records
            .Where(record => record.Name == DurableTaskNames.SweepOrchestration)
            .Take(count)
            .Select(record => new SweepSummary(record.InstanceId, record.RuntimeStatus, record.CreatedTime, record.LastUpdatedTime, InstanceStatus.ParsePayload(record.SerializedCustomStatus)))
            .ToArray());
    }

    private async Task<(RunRecord? Instance, SweepRecord Record)?> FindAsync(string sweepId, CancellationToken cancellationToken)
    {
        if (!RunId.IsValid(sweepId) || await store.GetRecordAsync(sweepId, cancellationToken) is not { } record)
        {
            return null;
        }

        return (await runs.GetAsync(sweepId, cancellationToken), record);
    }

    private static ApiResult Problem(IReadOnlyList<ValidationError> errors, int status) =>
        new(status, ProblemDetailsFactory.Validation(errors, status) with { Title = status == 409 ? "The sweep already exists." : "The sweep request is not valid." }, ContentType: ProblemJson);

    private static ApiResult UnknownSweep(string sweepId) => new(
        404,
        new { type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.5", title = "No such sweep.", status = 404, detail = $"No sweep with id '{(sweepId.Length > 200 ? sweepId[..200] + "..." : sweepId)}' exists." },
        ContentType: ProblemJson);
}
