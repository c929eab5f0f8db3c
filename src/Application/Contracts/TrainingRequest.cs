namespace DurableTrainer.Application.Contracts;

/// <summary>
/// What a client sends to start a run: every field optional (a missing one takes its default), names as they
/// appear in JSON. Enumerations are strings so that an unknown value gets an error naming the field rather than a
/// parse failure. The README lists every field with its default and range.
/// </summary>
public sealed record TrainingRequest
{
    public string? RunId { get; init; }
    public double? LearningRate { get; init; }
    public int? BatchSize { get; init; }
    public int? Epochs { get; init; }
    public long? MaxSteps { get; init; }
    public string? Optimizer { get; init; }
    public double? Momentum { get; init; }
    public bool? Nesterov { get; init; }
    public double? Beta1 { get; init; }
    public double? Beta2 { get; init; }
    public double? WeightDecay { get; init; }
    public double? GradientClipNorm { get; init; }
    public string? LearningRateSchedule { get; init; }
    public int? WarmupSteps { get; init; }
    public int? StepDecayEvery { get; init; }
    public double? StepDecayFactor { get; init; }
    public double? MinLearningRateFactor { get; init; }
    public string? Model { get; init; }
    public int? HiddenUnits { get; init; }
    public int? HiddenLayers { get; init; }
    public int? ConvChannels { get; init; }
    public bool? BatchNorm { get; init; }
    public double? Dropout { get; init; }
    public int? GradientAccumulationSteps { get; init; }
    public string? Dataset { get; init; }
    public int? Seed { get; init; }
    public int? StepsPerChunk { get; init; }
    public int? Replicas { get; init; }
    public string? MergeStrategy { get; init; }
    public double? OuterLearningRate { get; init; }
    public double? OuterMomentum { get; init; }
    public int? EvaluationIntervalSteps { get; init; }
    public int? CheckpointIntervalSteps { get; init; }
    public int? KeepLastCheckpoints { get; init; }
    public string? MonitorMetric { get; init; }
    public string? MonitorMode { get; init; }
    public int? EarlyStoppingPatience { get; init; }
    public double? EarlyStoppingMinDelta { get; init; }
    public int? PlateauPatience { get; init; }
    public double? PlateauFactor { get; init; }
    public double? MinLearningRate { get; init; }
    public double? DivergenceFactor { get; init; }
    public int? MaxRollbacks { get; init; }
    public double? RollbackLearningRateFactor { get; init; }
    public double? TimeBudgetSeconds { get; init; }
    public double? TargetMetric { get; init; }
    public int? RoundsPerExecution { get; init; }
    public int? ActivityMaxAttempts { get; init; }
    public double? ActivityFirstRetrySeconds { get; init; }
}
