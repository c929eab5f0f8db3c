using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Turns rows into predictions with a run's checkpoint and the run's own preprocessing. It checks and plans batch
/// jobs at submission, predicts their parts, and answers small requests at once.
/// </summary>
public interface IModelPredictor
{
    /// <summary>
    /// Predicts the rows of a JSON array at once: objects by column name for a table's model, nested lists of the
    /// input's shape for arrays and images. Throws <see cref="PredictionInputException"/> naming the row and column.
    /// </summary>
    Task<RowPredictions> PredictRowsAsync(CheckpointReference checkpoint, TrainingRecipe recipe, JsonElement rows, CancellationToken cancellationToken = default);

    /// <summary>
    /// Checks a job's data against the run (columns, categories, shapes, finite values), pins the checkpoint and
    /// every file by SHA-256, and cuts the rows into parts. Errors name the field, file, row or column.
    /// </summary>
    Task<PredictionPlan> PlanAsync(CheckpointReference checkpoint, TrainingRecipe recipe, DataSection data, int rowsPerPart, CancellationToken cancellationToken = default);

    Task<PredictionPartResult> PredictPartAsync(PredictPartCommand command, CancellationToken cancellationToken = default);

    Task<EvaluationMetrics> SummarizeAsync(SummarizePredictionsCommand command, CancellationToken cancellationToken = default);

    Task WriteManifestAsync(WriteManifestCommand command, CancellationToken cancellationToken = default);
}

/// <summary>Predictions for rows sent in a request, in their order, with the columns that played no part.</summary>
public sealed record RowPredictions(string Task, IReadOnlyList<string>? Classes, IReadOnlyList<RowPrediction> Predictions, IReadOnlyList<string> IgnoredColumns);

/// <summary>
/// One row's prediction: a classifier's class (<see cref="Class"/>) and each class's probability, or a regression
/// model's targets in the label's units (<see cref="Values"/>, one per target).
/// </summary>
public sealed record RowPrediction(string? Class, IReadOnlyDictionary<string, double>? Probabilities, IReadOnlyList<double>? Values);

/// <summary>A checked job: its parts, the data section as it will be read (pinned), and what the plan found.</summary>
public sealed record PredictionPlan(
    IReadOnlyList<ValidationError> Errors,
    string? CheckpointSha256 = null,
    DataSection? Data = null,
    IReadOnlyList<PredictionPart>? Parts = null,
    bool Labelled = false,
    IReadOnlyList<string>? IgnoredColumns = null,
    long Rows = 0)
{
    public static PredictionPlan Failed(params ValidationError[] errors) => new(errors);
}

/// <summary>Rows a model cannot take, with where (<see cref="Field"/>: <c>rows[3].age</c>) and why.</summary>
public sealed class PredictionInputException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
