using System.Text.Json.Serialization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Contracts;

/// <summary>
/// A run as a person wants to see it: where it is, how well it does, and where its checkpoints are;
/// <see cref="Progress"/> is the loop's latest report in full (round, epoch, ETA, suggestions, learning-rate scale).
/// <see cref="LastEvaluation"/> and <see cref="BestEvaluation"/> are on the validation split; <see cref="TestEvaluation"/>
/// (the final checkpoint) and <see cref="BestTestEvaluation"/> (the best, when another) on the test split, once the run has ended.
/// </summary>
public sealed record RunSummary(
    string RunId,
    [property: JsonConverter(typeof(JsonStringEnumConverter<InstanceRuntimeStatus>))] InstanceRuntimeStatus RuntimeStatus,
    string? Phase,
    string? Outcome,
    string? StopReason,
    string? FailureReason,
    double? PercentComplete,
    long? Step,
    long? TotalSteps,
    double? LastLoss,
    EvaluationSummary? LastEvaluation,
    EvaluationSummary? BestEvaluation,
    string? FinalCheckpoint,
    string? BestCheckpoint,
    DateTime CreatedTime,
    DateTime LastUpdatedTime,
    TrainingProgress? Progress = null,
    EvaluationSummary? TestEvaluation = null,
    EvaluationSummary? BestTestEvaluation = null);
