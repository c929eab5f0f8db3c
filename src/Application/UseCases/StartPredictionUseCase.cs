using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Predictions;
using DurableTrainer.Domain.Predictions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.UseCases;

/// <summary>The outcome of asking to start a prediction job.</summary>
public sealed record StartPredictionResult(PredictionId? PredictionId, IReadOnlyList<ValidationError> Errors, bool Conflict, int Parts = 0)
{
    public bool Started => PredictionId is not null && Errors.Count == 0 && !Conflict;
}

/// <summary>
/// Starts a batch prediction job with a run's checkpoint: checks the request's own fields, then has the predictor
/// check the rows against the run and cut them into parts, and schedules the job only when all is well. Nothing is
/// written before that, so a refused request changes nothing.
/// </summary>
public sealed class StartPredictionUseCase(IPredictionJobStarter starter, IModelPredictor predictor, TimeProvider timeProvider, PredictionJobSettings settings)
{
    public async Task<StartPredictionResult> StartAsync(PredictionRequest request, CheckpointReference checkpoint, TrainingRecipe recipe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(recipe);
        List<ValidationError> errors = Validate(request);
        if (recipe.Data.IsTokenStream())
        {
            errors.Add(new ValidationError("model.run", $"'{checkpoint.RunId}' is a language model: it generates text from a prompt rather than predicting rows"));
        }

        if (errors.Count > 0)
        {
            return new StartPredictionResult(null, errors, Conflict: false);
        }

        PredictionPlan plan = await predictor.PlanAsync(checkpoint, recipe, request.Data!, request.RowsPerPart ?? PredictionRequest.DefaultRowsPerPart, cancellationToken);
        if (plan.Errors.Count > 0)
        {
            return new StartPredictionResult(null, plan.Errors, Conflict: false);
        }

        PredictionId id = request.PredictionId is { } given ? PredictionId.Parse(given) : NewId(checkpoint.RunId);
        PredictionOutputSection output = request.Output ?? new PredictionOutputSection();
        string folder = output.Path is { } path ? (path.EndsWith('/') ? path : path + "/") : id.Value + "/";
        var input = new PredictionJobInput(
            PredictionId: id,
            Checkpoint: checkpoint,
            CheckpointSha256: plan.CheckpointSha256!,
            Recipe: recipe,
            Data: plan.Data!,
            Destination: new PredictionDestination(output.Container ?? PredictionOutputSection.DefaultContainer, folder, output.Format),
            Parts: plan.Parts!,
            Labelled: plan.Labelled,
            Parallelism: request.Parallelism ?? PredictionRequest.DefaultParallelism,
            IgnoredColumns: plan.IgnoredColumns ?? [],
            Rows: plan.Rows,
            SubmittedUtc: timeProvider.GetUtcNow().UtcDateTime,
            PartsPerExecution: settings.PartsPerExecution);
        return await starter.TryScheduleAsync(input, cancellationToken)
            ? new StartPredictionResult(id, [], Conflict: false, input.Parts.Count)
            : new StartPredictionResult(null, [new ValidationError("predictionId", $"'{id}' is taken: a job, run or sweep of that id exists (purge it to reuse the id)")], Conflict: true);
    }

    public static List<ValidationError> Validate(PredictionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<ValidationError>();
        if (request.PredictionId is { } id && !RunId.IsValid(id))
        {
            errors.Add(new ValidationError("predictionId", RunId.Rule));
        }

        if (request.Data is null)
        {
            errors.Add(new ValidationError("data", "must name the rows to predict on: {\"source\": FILE or FOLDER/}"));
        }

        if (request.Output is { } output)
        {
            if (output.Container is not null && !DataSection.IsValidContainer(output.Container))
            {
                errors.Add(new ValidationError("output.container", DataSection.ContainerRule));
            }

            if (output.Path is not null && !DataSection.IsValidPath(output.Path.EndsWith('/') ? output.Path : output.Path + "/"))
            {
                errors.Add(new ValidationError("output.path", "must be a folder in the container: " + DataSection.PathRule));
            }

            if (!Enum.IsDefined(output.Format))
            {
                errors.Add(new ValidationError("output.format", "must be one of " + SpecificationNames.Of<Domain.Kinds.PredictionOutputFormat>()));
            }
        }

        if (request.RowsPerPart is { } rows && rows is < 1 or > PredictionRequest.MaxRowsPerPart)
        {
            errors.Add(new ValidationError("rowsPerPart", $"must be between 1 and {PredictionRequest.MaxRowsPerPart}"));
        }

        if (request.Parallelism is { } parallelism && parallelism is < 1 or > PredictionRequest.MaxParallelism)
        {
            errors.Add(new ValidationError("parallelism", $"must be between 1 and {PredictionRequest.MaxParallelism}"));
        }

        return errors;
    }

    // The run's id and a random suffix, cut so the whole stays within an id's length.
    private static PredictionId NewId(RunId run)
    {
        string suffix = "-p" + Guid.NewGuid().ToString("N")[..8];
        string stem = run.Value[..Math.Min(run.Value.Length, RunId.MaxLength - suffix.Length)].TrimEnd('-');
        return PredictionId.Parse(stem + suffix);
    }
}
