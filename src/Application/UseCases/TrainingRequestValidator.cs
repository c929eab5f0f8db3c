using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.UseCases;

/// <summary>A validated start request: the run's specification, the engine settings it runs under, and the size of its training split (0 when the catalog did not say).</summary>
public sealed record ValidatedRequest(TrainingSpecification Specification, ExecutionSettings Execution, int TrainExamples = 0);

/// <summary>
/// Turns a request into the typed specification once, at submission, reporting every problem at once by its JSON
/// path: the sections' own rules, the rules across sections, and whether the model fits the data.
/// </summary>
public static partial class TrainingRequestValidator
{
    public static ValidationError? ValidateRunId(string? runId) =>
        runId is null || RunId.IsValid(runId) ? null : new ValidationError("runId", RunId.Rule);

    public static async Task<(ValidatedRequest? Request, IReadOnlyList<ValidationError> Errors)> ValidateAsync(
        TrainingRequest request, IDatasetCatalog datasets, IModelCatalog models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentNullException.ThrowIfNull(models);
        var errors = new List<ValidationError>();
        if (ValidateRunId(request.RunId) is { } runIdError)
        {
            errors.Add(runIdError);
        }

        ExecutionSettings execution = request.Execution ?? ExecutionSettings.Default;
        errors.AddRange(execution.Validate());
        ValidationResult<TrainingSpecification> specification = TrainingSpecification.Create(
            request.Data, request.Model, request.Optimizer, request.Schedule, request.Training,
            request.Evaluation, request.Stopping, request.Checkpoints, request.Replicas);
        errors.AddRange(specification.Errors);

        // The catalogs are asked only about sections that are sound on their own, so no problem is reported twice:
        // the data's shape when the data section is, and then the model against that shape when the model section is.
        DataSection data = request.Data ?? new DataSection();
        DataShape? shape = null;
        DataSection? pinnedData = null;
        int trainExamples = 0;
        if (data.Validate().Count == 0)
        {
            DatasetCheck dataCheck = await datasets.CheckAsync(data, cancellationToken);
            (shape, pinnedData, trainExamples) = (dataCheck.Shape, dataCheck.Data, dataCheck.TrainExamples);
            errors.AddRange(dataCheck.Errors);
        }

        // A run that names no model gets the default for its data's shape (the CNN for images, the MLP for tables).
        // What to start from and what to freeze go with whichever model that is.
        ModelSection requested = request.Model ?? new ModelSection();
        ModelSection model = !requested.IsUnspecified() ? requested.Resolved()
            : (shape is not null ? ModelSection.DefaultFor(shape) : new ModelSection().Resolved()).WithInitAndFreezeOf(requested);
        ModelCheck? check = null;
        if (shape is not null && model.Validate().Count == 0)
        {
            check = await models.CheckAsync(model, shape, cancellationToken);
            errors.AddRange(check.Errors);
        }

        if (errors.Count == 0 && (shape is null || check?.Resolved is null))
        {
            // A catalog that neither answers nor complains must not turn into a silent refusal.
            errors.Add(new ValidationError(shape is null ? "data" : "model", "could not be checked against the data; the catalog gave no answer"));
        }

        if (errors.Count > 0 || specification.Value is null || check?.Resolved is null || pinnedData is null)
        {
            return (null, errors);
        }

        return (new ValidatedRequest(specification.Value with { Data = pinnedData, Model = check.Resolved }, execution, trainExamples), []);
    }
}
