using System.Text.RegularExpressions;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Application.UseCases;

/// <summary>
/// Turns a request DTO into domain objects, reporting every problem at once with the field name the client used.
/// Deterministic, so the orchestration can call it again on replay and get the same answer.
/// </summary>
public static partial class TrainingRequestMapper
{
    public const int MaxRunIdLength = 63;

    private static readonly IReadOnlyDictionary<string, OptimizerKind> Optimizers = new Dictionary<string, OptimizerKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["adam"] = OptimizerKind.Adam,
        ["adamw"] = OptimizerKind.AdamW,
        ["sgd"] = OptimizerKind.Sgd,
    };

    private static readonly IReadOnlyDictionary<string, ModelArchitecture> Models = new Dictionary<string, ModelArchitecture>(StringComparer.OrdinalIgnoreCase)
    {
        ["mlp"] = ModelArchitecture.Mlp,
        ["cnn"] = ModelArchitecture.Cnn,
    };

    private static readonly IReadOnlyDictionary<string, DatasetKind> Datasets = new Dictionary<string, DatasetKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["fashion-mnist"] = DatasetKind.FashionMnist,
        ["synthetic"] = DatasetKind.Synthetic,
    };

    /// <summary>Lower-case letters, digits and inner hyphens: safe as an instance id, a blob prefix and a URL segment.</summary>
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex RunIdPattern();

    public static bool IsValidRunId(string? runId) => runId is not null && RunIdPattern().IsMatch(runId);

    public static ValidationError? ValidateRunId(string? runId) =>
        runId is null || IsValidRunId(runId)
            ? null
            : new ValidationError("runId", $"must be 1 to {MaxRunIdLength} lower-case letters, digits or inner hyphens");

    public static ValidationResult<Hyperparameters> ToHyperparameters(TrainingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<ValidationError>();
        var defaults = Hyperparameters.Defaults;
        var values = defaults with
        {
            LearningRate = request.LearningRate ?? defaults.LearningRate,
            BatchSize = request.BatchSize ?? defaults.BatchSize,
            Epochs = request.Epochs ?? defaults.Epochs,
            MaxSteps = request.MaxSteps ?? defaults.MaxSteps,
            Optimizer = Parse(request.Optimizer, "optimizer", Optimizers, defaults.Optimizer, errors),
            Momentum = request.Momentum ?? defaults.Momentum,
            WeightDecay = request.WeightDecay ?? defaults.WeightDecay,
            Model = Parse(request.Model, "model", Models, defaults.Model, errors),
            HiddenUnits = request.HiddenUnits ?? defaults.HiddenUnits,
            Dataset = Parse(request.Dataset, "dataset", Datasets, defaults.Dataset, errors),
            Seed = request.Seed ?? defaults.Seed,
            StepsPerChunk = request.StepsPerChunk ?? defaults.StepsPerChunk,
            Replicas = request.Replicas ?? defaults.Replicas,
            EvaluationIntervalSteps = request.EvaluationIntervalSteps ?? defaults.EvaluationIntervalSteps,
            TargetAccuracy = request.TargetAccuracy ?? defaults.TargetAccuracy,
        };

        if (ValidateRunId(request.RunId) is { } runIdError)
        {
            errors.Add(runIdError);
        }

        var result = Hyperparameters.Create(values);
        if (!result.IsValid)
        {
            errors.AddRange(result.Errors);
        }

        return errors.Count == 0 ? result : ValidationResult<Hyperparameters>.Failure(errors);
    }

    /// <summary>The request with every field set to the value actually used, so the stored input explains the run.</summary>
    public static TrainingRequest Normalize(TrainingRequest request, string runId, Hyperparameters hyperparameters) => new()
    {
        RunId = runId,
        LearningRate = hyperparameters.LearningRate,
        BatchSize = hyperparameters.BatchSize,
        Epochs = hyperparameters.Epochs,
        MaxSteps = hyperparameters.MaxSteps,
        Optimizer = Name(Optimizers, hyperparameters.Optimizer),
        Momentum = hyperparameters.Momentum,
        WeightDecay = hyperparameters.WeightDecay,
        Model = Name(Models, hyperparameters.Model),
        HiddenUnits = hyperparameters.HiddenUnits,
        Dataset = Name(Datasets, hyperparameters.Dataset),
        Seed = hyperparameters.Seed,
        StepsPerChunk = hyperparameters.StepsPerChunk,
        Replicas = hyperparameters.Replicas,
        EvaluationIntervalSteps = hyperparameters.EvaluationIntervalSteps,
        TargetAccuracy = hyperparameters.TargetAccuracy,
    };

    private static T Parse<T>(string? text, string field, IReadOnlyDictionary<string, T> names, T fallback, List<ValidationError> errors)
    {
        if (text is null)
        {
            return fallback;
        }

        if (names.TryGetValue(text, out T? value))
        {
            return value;
        }

        errors.Add(new ValidationError(field, "must be one of " + string.Join(", ", names.Keys)));
        return fallback;
    }

    private static string Name<T>(IReadOnlyDictionary<string, T> names, T value) =>
        names.First(pair => EqualityComparer<T>.Default.Equals(pair.Value, value)).Key;
}
