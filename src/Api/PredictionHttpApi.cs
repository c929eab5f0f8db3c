using System.Text.Json;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>
/// Using what a run trained: <c>POST /api/training/{id}/predict</c> answers a few rows at once; <c>/api/predictions</c>
/// starts, shows, lists and stops batch prediction jobs, which run as durable orchestrations.
/// </summary>
public sealed class PredictionHttpApi(ITrainingRunClient runs, StartPredictionUseCase useCase, IModelPredictor predictor, IDatasetStore files)
{
    /// <summary>A synchronous request's limit: a thousand rows of a 28x28 image as JSON fit.</summary>
    public const int MaxPredictBodyBytes = 16 * 1024 * 1024;

    private const string ProblemJson = ProblemDetailsFactory.ContentType;

    /// <summary>POST /api/training/{id}/predict: <c>{"rows": [...], "checkpoint": "final" | "best"}</c>.</summary>
    public async Task<ApiResult> PredictRowsAsync(string runId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (body.Length > MaxPredictBodyBytes)
        {
            return Invalid(413, "body", $"must be at most {MaxPredictBodyBytes} bytes; for more rows, start a batch prediction job (POST /api/predictions)");
        }

        if (await runs.FindRunAsync(runId, cancellationToken) is not (RunId id, RunRecord run))
        {
            return ProblemDetailsFactory.UnknownRun(runId);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return Invalid(400, "body", "must be a JSON object: {\"rows\": [...]}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("rows", out JsonElement rows))
            {
                return Invalid(400, "rows", "is required: a JSON array of rows (objects by column name for a table's model, nested lists for arrays and images)");
            }

            if (root.EnumerateObject().Select(property => property.Name).FirstOrDefault(name => name is not "rows" and not "checkpoint") is { } unknown)
            {
                return Invalid(400, unknown, "is not a known field; known fields are rows, checkpoint");
            }

            CheckpointChoice choice = CheckpointChoice.Final;
            if (root.TryGetProperty("checkpoint", out JsonElement which) && (which.ValueKind != JsonValueKind.String || !SpecificationNames.TryParse(which.GetString(), out choice)))
            {
                return Invalid(400, "checkpoint", "must be final or best");
            }

            if (RunCheckpoints.Find(id, run, choice) is not ({ } checkpoint, { } recipe))
            {
                return RunCheckpoints.NoModel(id, run, choice, "predict");
            }

            if (recipe.Data.IsTokenStream())
            {
                return Invalid(400, "runId", $"'{id}' is a language model: it generates text from a prompt rather than predicting rows");
            }

            try
            {
                RowPredictions predictions = await predictor.PredictRowsAsync(checkpoint, recipe, rows, cancellationToken);
                return new ApiResult(200, new
                {
                    run = id.Value,
                    checkpoint = checkpoint.ToString(),
                    task = predictions.Task,
                    classes = predictions.Classes,
                    predictions = predictions.Predictions.Select(Answer).ToArray(),
                    ignoredColumns = predictions.IgnoredColumns,
                });
            }
            catch (PredictionInputException exception)
            {
                return Invalid(400, exception.Field, exception.Message);
            }
            catch (Exception exception) when (exception is CheckpointNotFoundException or CheckpointCorruptException or ModelFileException or DatasetException)
            {
                return Conflict("The run's model cannot predict.", exception.Message);
            }
        }
    }

    private static object Answer(RowPrediction prediction) => prediction.Class is { } name
        ? new { prediction = (object)name, probabilities = prediction.Probabilities }
        : new { prediction = prediction.Values!.Count == 1 ? prediction.Values[0] : (object)prediction.Values, probabilities = (IReadOnlyDictionary<string, double>?)null };

    /// <summary>POST /api/predictions: check, plan and start a batch job; 202 with its management URLs.</summary>
    public async Task<ApiResult> StartAsync(ReadOnlyMemory<byte> body, Func<string, ManagementPayload> managementPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(managementPayload);
        (PredictionRequest? request, IReadOnlyList<ValidationError> readErrors) = PredictionRequestReader.Read(body.Span);
        if (request is null)
        {
            int status = body.Length > PredictionRequestReader.MaxBodyBytes ? 413 : 400;
            return new ApiResult(status, ProblemDetailsFactory.Validation(readErrors, status), ContentType: ProblemJson);
        }

        if (request.Model?.Run is not { } runText)
        {
            return Invalid(400, "model.run", "must name the run whose model predicts: {\"model\": {\"run\": RUN}}");
        }

        if (await runs.FindRunAsync(runText, cancellationToken) is not (RunId id, RunRecord run))
        {
            return Invalid(400, "model.run", $"names no run: there is no run '{(runText.Length > 100 ? runText[..100] : runText)}' in this task hub");
        }

        CheckpointChoice choice = request.Model.Checkpoint;
        if (RunCheckpoints.Find(id, run, choice) is not ({ } checkpoint, { } recipe))
        {
            return RunCheckpoints.NoModel(id, run, choice, "predict");
        }

        StartPredictionResult result;
        try
        {
            result = await useCase.StartAsync(request, checkpoint, recipe, cancellationToken);
        }
        catch (Exception exception) when (exception is CheckpointNotFoundException or CheckpointCorruptException or ModelFileException or DatasetException)
        {
            return Conflict("The run's model cannot predict.", exception.Message);
        }

        if (!result.Started)
        {
            int status = result.Conflict ? 409 : 400;
            return new ApiResult(status, ProblemDetailsFactory.Validation(result.Errors, status), ContentType: ProblemJson);
        }

        ManagementPayload payload = managementPayload(result.PredictionId!.Value);
        return new ApiResult(202, payload, payload.StatusQueryGetUri);
    }

    /// <summary>GET /api/predictions/{id}.</summary>
    public async Task<ApiResult> GetAsync(string predictionId, CancellationToken cancellationToken) =>
        await FindJobAsync(predictionId, cancellationToken) is { } job ? new ApiResult(200, View(job)) : UnknownJob(predictionId);

    /// <summary>GET /api/predictions?top=N: recent jobs, newest first.</summary>
    public async Task<ApiResult> ListAsync(string? top, CancellationToken cancellationToken)
    {
        int count = 20;
        if (top is not null && (!int.TryParse(top, out count) || count < 1 || count > ApiLimits.MaxListed))
        {
            return Invalid(400, "top", $"must be a whole number between 1 and {ApiLimits.MaxListed}");
        }

        // Runs, sweeps and jobs share the task hub: ask for more and keep the jobs.
        IReadOnlyList<RunRecord> records = await runs.ListAsync(Math.Min(count * 5, 1000), cancellationToken);
        return new ApiResult(200, records.Where(IsJob).Take(count).Select(View).ToArray());
    }

    /// <summary>POST /api/predictions/{id}/stop: ends the job now; parts already written stay.</summary>
    public async Task<ApiResult> StopAsync(string predictionId, CancellationToken cancellationToken)
    {
        if (await FindJobAsync(predictionId, cancellationToken) is not { } job)
        {
            return UnknownJob(predictionId);
        }

        await runs.TerminateAsync(job.InstanceId, "Stopped through the HTTP API.", cancellationToken);
        return new ApiResult(202, null);
    }

    /// <summary>GET /api/predictions/{id}/parts/{index}: a finished job's part file, as the manifest lists it.</summary>
    public async Task<ApiResult> GetPartAsync(string predictionId, string index, CancellationToken cancellationToken)
    {
        if (await FindJobAsync(predictionId, cancellationToken) is not { } job)
        {
            return UnknownJob(predictionId);
        }

        if (job.RuntimeStatus != InstanceRuntimeStatus.Completed || RunRecordPayloads.Read<PredictionManifest>(job.SerializedOutput) is not { } manifest)
        {
            return Conflict("The prediction job has not finished.", $"Prediction job '{job.InstanceId}' is {job.RuntimeStatus}; its parts can be read once it has completed.");
        }

        if (!int.TryParse(index, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int part) || part >= manifest.Parts.Count)
        {
            return Invalid(400, "index", $"must be a part number from 0 to {manifest.Parts.Count - 1}");
        }

        string path = manifest.Folder + manifest.Parts[part].Path;
        byte[]? content = await files.ReadAsync(manifest.Container, path, cancellationToken);
        return content is null
            ? Conflict("The part is gone.", $"'{path}' is no longer in {files.LocationOf(manifest.Container)}; it was deleted after the job completed.")
            : new ApiResult(200, content, ContentType: "application/octet-stream", FileName: manifest.Parts[part].Path);
    }

    private async Task<RunRecord?> FindJobAsync(string predictionId, CancellationToken cancellationToken) =>
        (await runs.FindRunAsync(predictionId, cancellationToken))?.Run is { } record && IsJob(record) ? record : null;

    private static bool IsJob(RunRecord record) => record.Name == Durable.DurableTaskNames.PredictionOrchestration;

    private static PredictionStatusView View(RunRecord record)
    {
        PredictionJobInput? input = RunRecordPayloads.Read<PredictionJobInput>(record.SerializedInput);
        PredictionManifest? manifest = record.RuntimeStatus == InstanceRuntimeStatus.Completed ? RunRecordPayloads.Read<PredictionManifest>(record.SerializedOutput) : null;
        string? failure = record.RuntimeStatus is InstanceRuntimeStatus.Failed or InstanceRuntimeStatus.Terminated ? FailureOf(record.SerializedOutput) : null;
        return new PredictionStatusView(
            record.InstanceId,
            // Between two executions of a long job (it continues as new every few hundred parts), it is running.
            record.RuntimeStatus == InstanceRuntimeStatus.ContinuedAsNew ? InstanceRuntimeStatus.Running : record.RuntimeStatus,
            input?.Checkpoint.RunId.Value,
            input?.Checkpoint.ToString(),
            RunRecordPayloads.Read<PredictionProgress>(record.SerializedCustomStatus),
            input?.IgnoredColumns,
            manifest,
            failure,
            record.CreatedTime,
            record.LastUpdatedTime);
    }

    // A failed orchestration's output is its failure details (or the terminate reason): the message is the user's reason.
    private static string? FailureOf(string? output)
    {
        if (output is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(output);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.String => document.RootElement.GetString(),
                JsonValueKind.Object when document.RootElement.TryGetProperty("ErrorMessage", out JsonElement message) || document.RootElement.TryGetProperty("errorMessage", out message) => message.GetString(),
                _ => output,
            };
        }
        catch (JsonException)
        {
            return output;
        }
    }

    private static ApiResult UnknownJob(string predictionId) => new(
        404,
        new { type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.5", title = "No such prediction job.", status = 404, detail = $"No prediction job with id '{(predictionId.Length > 200 ? predictionId[..200] + "..." : predictionId)}' exists in this task hub." },
        ContentType: ProblemJson);

    private static ApiResult Invalid(int status, string field, string rule) =>
        new(status, ProblemDetailsFactory.Validation([new ValidationError(field, rule)], status), ContentType: ProblemJson);

    private static ApiResult Conflict(string title, string detail) =>
        new(409, new { type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.10", title, status = 409, detail }, ContentType: ProblemJson);
}
