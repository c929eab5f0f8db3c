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

    public static readonly IReadOnlyDictionary<string, OptimizerKind> Optimizers = Names(
        ("adam", OptimizerKind.Adam), ("adamw", OptimizerKind.AdamW), ("sgd", OptimizerKind.Sgd));

    public static readonly IReadOnlyDictionary<string, ModelArchitecture> Models = Names(
        ("mlp", ModelArchitecture.Mlp), ("cnn", ModelArchitecture.Cnn));

    public static readonly IReadOnlyDictionary<string, DatasetKind> Datasets = Names(
        ("fashion-mnist", DatasetKind.FashionMnist), ("synthetic", DatasetKind.Synthetic));

    public static readonly IReadOnlyDictionary<string, LearningRateSchedule> Schedules = Names(
        ("constant", LearningRateSchedule.Constant), ("linear-warmup", LearningRateSchedule.LinearWarmup),
        ("cosine-with-warmup", LearningRateSchedule.CosineWithWarmup), ("step-decay", LearningRateSchedule.StepDecay));

    public static readonly IReadOnlyDictionary<string, MergeStrategy> MergeStrategies = Names(
        ("average", MergeStrategy.Average), ("outer-nesterov", MergeStrategy.OuterNesterov));

    public static readonly IReadOnlyDictionary<string, MonitorMetric> MonitorMetrics = Names(
        ("accuracy", MonitorMetric.Accuracy), ("loss", MonitorMetric.Loss));

    public static readonly IReadOnlyDictionary<string, MonitorMode> MonitorModes = Names(
        ("max", MonitorMode.Max), ("min", MonitorMode.Min));

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
        var d = Hyperparameters.Defaults;
        var values = d with
        {
            LearningRate = request.LearningRate ?? d.LearningRate,
            BatchSize = request.BatchSize ?? d.BatchSize,
            Epochs = request.Epochs ?? d.Epochs,
            MaxSteps = request.MaxSteps ?? d.MaxSteps,
            Optimizer = Parse(request.Optimizer, "optimizer", Optimizers, d.Optimizer, errors),
            Momentum = request.Momentum ?? d.Momentum,
            Nesterov = request.Nesterov ?? d.Nesterov,
            Beta1 = request.Beta1 ?? d.Beta1,
            Beta2 = request.Beta2 ?? d.Beta2,
            WeightDecay = request.WeightDecay ?? d.WeightDecay,
            GradientClipNorm = request.GradientClipNorm ?? d.GradientClipNorm,
            LearningRateSchedule = Parse(request.LearningRateSchedule, "learningRateSchedule", Schedules, d.LearningRateSchedule, errors),
            WarmupSteps = request.WarmupSteps ?? d.WarmupSteps,
            StepDecayEvery = request.StepDecayEvery ?? d.StepDecayEvery,
            StepDecayFactor = request.StepDecayFactor ?? d.StepDecayFactor,
            MinLearningRateFactor = request.MinLearningRateFactor ?? d.MinLearningRateFactor,
            Model = Parse(request.Model, "model", Models, d.Model, errors),
            HiddenUnits = request.HiddenUnits ?? d.HiddenUnits,
            HiddenLayers = request.HiddenLayers ?? d.HiddenLayers,
            ConvChannels = request.ConvChannels ?? d.ConvChannels,
            BatchNorm = request.BatchNorm ?? d.BatchNorm,
            Dropout = request.Dropout ?? d.Dropout,
            GradientAccumulationSteps = request.GradientAccumulationSteps ?? d.GradientAccumulationSteps,
            Dataset = Parse(request.Dataset, "dataset", Datasets, d.Dataset, errors),
            Seed = request.Seed ?? d.Seed,
            StepsPerChunk = request.StepsPerChunk ?? d.StepsPerChunk,
            Replicas = request.Replicas ?? d.Replicas,
            MergeStrategy = Parse(request.MergeStrategy, "mergeStrategy", MergeStrategies, d.MergeStrategy, errors),
            OuterLearningRate = request.OuterLearningRate ?? d.OuterLearningRate,
            OuterMomentum = request.OuterMomentum ?? d.OuterMomentum,
            EvaluationIntervalSteps = request.EvaluationIntervalSteps ?? d.EvaluationIntervalSteps,
            CheckpointIntervalSteps = request.CheckpointIntervalSteps ?? d.CheckpointIntervalSteps,
            KeepLastCheckpoints = request.KeepLastCheckpoints ?? d.KeepLastCheckpoints,
            MonitorMetric = Parse(request.MonitorMetric, "monitorMetric", MonitorMetrics, d.MonitorMetric, errors),
            MonitorMode = request.MonitorMode is null ? d.MonitorMode : Parse(request.MonitorMode, "monitorMode", MonitorModes, MonitorMode.Max, errors),
            EarlyStoppingPatience = request.EarlyStoppingPatience ?? d.EarlyStoppingPatience,
            EarlyStoppingMinDelta = request.EarlyStoppingMinDelta ?? d.EarlyStoppingMinDelta,
            PlateauPatience = request.PlateauPatience ?? d.PlateauPatience,
            PlateauFactor = request.PlateauFactor ?? d.PlateauFactor,
            MinLearningRate = request.MinLearningRate ?? Math.Min(d.MinLearningRate, request.LearningRate ?? d.LearningRate),
            DivergenceFactor = request.DivergenceFactor ?? d.DivergenceFactor,
            MaxRollbacks = request.MaxRollbacks ?? d.MaxRollbacks,
            RollbackLearningRateFactor = request.RollbackLearningRateFactor ?? d.RollbackLearningRateFactor,
            TimeBudgetSeconds = request.TimeBudgetSeconds ?? d.TimeBudgetSeconds,
            TargetMetric = request.TargetMetric ?? d.TargetMetric,
            RoundsPerExecution = request.RoundsPerExecution ?? d.RoundsPerExecution,
            ActivityMaxAttempts = request.ActivityMaxAttempts ?? d.ActivityMaxAttempts,
            ActivityFirstRetrySeconds = request.ActivityFirstRetrySeconds ?? d.ActivityFirstRetrySeconds,
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
    public static TrainingRequest Normalize(string runId, Hyperparameters h) => new()
    {
        RunId = runId,
        LearningRate = h.LearningRate,
        BatchSize = h.BatchSize,
        Epochs = h.Epochs,
        MaxSteps = h.MaxSteps,
        Optimizer = Name(Optimizers, h.Optimizer),
        Momentum = h.Momentum,
        Nesterov = h.Nesterov,
        Beta1 = h.Beta1,
        Beta2 = h.Beta2,
        WeightDecay = h.WeightDecay,
        GradientClipNorm = h.GradientClipNorm,
        LearningRateSchedule = Name(Schedules, h.LearningRateSchedule),
        WarmupSteps = h.WarmupSteps,
        StepDecayEvery = h.StepDecayEvery,
        StepDecayFactor = h.StepDecayFactor,
        MinLearningRateFactor = h.MinLearningRateFactor,
        Model = Name(Models, h.Model),
        HiddenUnits = h.HiddenUnits,
        HiddenLayers = h.HiddenLayers,
        ConvChannels = h.ConvChannels,
        BatchNorm = h.BatchNorm,
        Dropout = h.Dropout,
        GradientAccumulationSteps = h.GradientAccumulationSteps,
        Dataset = Name(Datasets, h.Dataset),
        Seed = h.Seed,
        StepsPerChunk = h.StepsPerChunk,
        Replicas = h.Replicas,
        MergeStrategy = Name(MergeStrategies, h.MergeStrategy),
        OuterLearningRate = h.OuterLearningRate,
        OuterMomentum = h.OuterMomentum,
        EvaluationIntervalSteps = h.EvaluationIntervalSteps,
        CheckpointIntervalSteps = h.CheckpointIntervalSteps,
        KeepLastCheckpoints = h.KeepLastCheckpoints,
        MonitorMetric = Name(MonitorMetrics, h.MonitorMetric),
        MonitorMode = Name(MonitorModes, h.MonitorMode),
        EarlyStoppingPatience = h.EarlyStoppingPatience,
        EarlyStoppingMinDelta = h.EarlyStoppingMinDelta,
        PlateauPatience = h.PlateauPatience,
        PlateauFactor = h.PlateauFactor,
        MinLearningRate = h.MinLearningRate,
        DivergenceFactor = h.DivergenceFactor,
        MaxRollbacks = h.MaxRollbacks,
        RollbackLearningRateFactor = h.RollbackLearningRateFactor,
        TimeBudgetSeconds = h.TimeBudgetSeconds,
        TargetMetric = h.TargetMetric,
        RoundsPerExecution = h.RoundsPerExecution,
        ActivityMaxAttempts = h.ActivityMaxAttempts,
        ActivityFirstRetrySeconds = h.ActivityFirstRetrySeconds,
    };

    private static IReadOnlyDictionary<string, T> Names<T>(params (string Name, T Value)[] names) =>
        names.ToDictionary(pair => pair.Name, pair => pair.Value, StringComparer.OrdinalIgnoreCase);

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
