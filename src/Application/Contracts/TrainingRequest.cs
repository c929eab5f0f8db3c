namespace DurableTrainer.Application.Contracts;

/// <summary>
/// What a client sends to start a run: every field optional, names as they appear in JSON. Enumerations are strings
/// so that an unknown value gets an error naming the field rather than a parse failure.
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
    public double? WeightDecay { get; init; }
    public string? Model { get; init; }
    public int? HiddenUnits { get; init; }
    public string? Dataset { get; init; }
    public int? Seed { get; init; }
    public int? StepsPerChunk { get; init; }
    public int? Replicas { get; init; }
    public int? EvaluationIntervalSteps { get; init; }
    public double? TargetAccuracy { get; init; }
}
