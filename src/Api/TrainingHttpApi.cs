using System.Text;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api;

/// <summary>What an HTTP handler answers, independent of the host's HTTP stack.</summary>
/// <remarks>A <c>byte[]</c> body is written as it is (a file, named by <see cref="FileName"/>); any other body as JSON.</remarks>
public sealed record ApiResult(int StatusCode, object? Body, string? Location = null, string ContentType = "application/json", string? FileName = null);

/// <summary>
/// The HTTP API's behaviour, shared by both hosts: each host maps its routes to these methods and writes the
/// <see cref="ApiResult"/> back. Client mistakes always get a 4xx with problem details, never a 5xx.
/// </summary>
public sealed class TrainingHttpApi(TrainModelUseCase useCase, ITrainingRunClient runs)
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>POST /api/training. <paramref name="managementPayload"/> builds the host's URLs for a run id.</summary>
    public async Task<ApiResult> StartAsync(ReadOnlyMemory<byte> body, Func<string, ManagementPayload> managementPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(managementPayload);
        var (request, readErrors) = TrainingRequestReader.Read(body.Span);
        if (request is null)
        {
            int status = body.Length > TrainingRequestReader.MaxBodyBytes ? 413 : 400;
            return new ApiResult(status, ProblemDetailsFactory.Validation(readErrors, status), ContentType: ProblemJson);
        }

        StartTrainingResult result = await useCase.StartAsync(request, cancellationToken);
        if (!result.Started)
        {
            int status = result.Conflict ? 409 : 400;
            return new ApiResult(status, ProblemDetailsFactory.Validation(result.Errors, status), ContentType: ProblemJson);
        }

        ManagementPayload payload = managementPayload(result.RunId!.Value);
        return new ApiResult(202, payload, payload.StatusQueryGetUri);
    }

    /// <summary>The Durable Functions status query: 202 while running, 200 once ended, 404 when unknown.</summary>
    public async Task<ApiResult> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await FindAsync(instanceId, cancellationToken) is not { } run)
        {
            return UnknownRun(instanceId);
        }

        var status = new InstanceStatus(
            run.Name,
            run.InstanceId,
            run.RuntimeStatus,
            InstanceStatus.ParsePayload(run.SerializedInput),
            InstanceStatus.ParsePayload(run.SerializedCustomStatus),
            InstanceStatus.ParsePayload(run.SerializedOutput),
            run.CreatedTime,
            run.LastUpdatedTime);
        return new ApiResult(status.IsRunning ? 202 : 200, status);
    }

    /// <summary>GET /api/training/{id}: the friendly summary.</summary>
    public async Task<ApiResult> GetSummaryAsync(string runId, CancellationToken cancellationToken) =>
        await FindAsync(runId, cancellationToken) is { } run ? new ApiResult(200, RunSummaries.From(run)) : UnknownRun(runId);

    /// <summary>GET /api/training: recent runs, newest first.</summary>
    public async Task<ApiResult> ListAsync(string? top, CancellationToken cancellationToken)
    {
        int count = 20;
        if (top is not null && (!int.TryParse(top, out count) || count < 1 || count > ApiLimits.MaxListed))
        {
            return new ApiResult(400, ProblemDetailsFactory.Validation([new ValidationError("top", $"must be a whole number between 1 and {ApiLimits.MaxListed}")]), ContentType: ProblemJson);
        }

        IReadOnlyList<RunRecord> records = await runs.ListAsync(count, cancellationToken);
        // Sweeps and prediction jobs are orchestrations too, listed by their own routes; a sweep's trials are runs and stay here.
        return new ApiResult(200, records
            .Where(record => record.Name is not Durable.DurableTaskNames.SweepOrchestration and not Durable.DurableTaskNames.PredictionOrchestration)
            .Select(RunSummaries.From).ToArray());
    }

    /// <summary>POST /api/training/{id}/stop: finish the current round, keep its checkpoint, end as stopped.</summary>
    public Task<ApiResult> StopAsync(string runId, CancellationToken cancellationToken) =>
        RaiseEventAsync(runId, Durable.Adapters.ExternalEventControl.StopEvent, ReadOnlyMemory<byte>.Empty, cancellationToken);

    public async Task<ApiResult> RaiseEventAsync(string instanceId, string eventName, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!IsValidEventName(eventName))
        {
            return new ApiResult(400, ProblemDetailsFactory.Validation([new ValidationError("eventName", "must be 1 to 64 letters, digits, '-' or '_'")]), ContentType: ProblemJson);
        }

        if (await FindAsync(instanceId, cancellationToken) is null)
        {
            return UnknownRun(instanceId);
        }

        if (body.Length > TrainingRequestReader.MaxBodyBytes)
        {
            return new ApiResult(413, ProblemDetailsFactory.Validation([new ValidationError("body", $"must be at most {TrainingRequestReader.MaxBodyBytes} bytes")], 413), ContentType: ProblemJson);
        }

        object? data = null;
        if (!body.IsEmpty)
        {
            data = InstanceStatus.ParsePayload(Encoding.UTF8.GetString(body.Span));
        }

        await runs.RaiseEventAsync(instanceId, eventName, data, cancellationToken);
        return new ApiResult(202, null);
    }

    public Task<ApiResult> TerminateAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        WhenFoundAsync(instanceId, () => runs.TerminateAsync(instanceId, Limit(reason) ?? "Terminated through the HTTP API.", cancellationToken), cancellationToken);

    public Task<ApiResult> SuspendAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        WhenFoundAsync(instanceId, () => runs.SuspendAsync(instanceId, Limit(reason), cancellationToken), cancellationToken);

    public Task<ApiResult> ResumeAsync(string instanceId, string? reason, CancellationToken cancellationToken) =>
        WhenFoundAsync(instanceId, () => runs.ResumeAsync(instanceId, Limit(reason), cancellationToken), cancellationToken);

    public async Task<ApiResult> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await FindAsync(instanceId, cancellationToken) is null)
        {
            return UnknownRun(instanceId);
        }

        int deleted = await runs.PurgeAsync(instanceId, cancellationToken);
        return new ApiResult(200, new { instancesDeleted = deleted });
    }

    private async Task<ApiResult> WhenFoundAsync(string instanceId, Func<Task> action, CancellationToken cancellationToken)
    {
        if (await FindAsync(instanceId, cancellationToken) is null)
        {
            return UnknownRun(instanceId);
        }

        await action();
        return new ApiResult(202, null);
    }

    private async Task<RunRecord?> FindAsync(string instanceId, CancellationToken cancellationToken) =>
        (await runs.FindRunAsync(instanceId, cancellationToken))?.Run;

    private static ApiResult UnknownRun(string instanceId) => ProblemDetailsFactory.UnknownRun(instanceId);

    private static bool IsValidEventName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string? Limit(string? text) => text is { Length: > 200 } ? text[..200] + "..." : text;
}
