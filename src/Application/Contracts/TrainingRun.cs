using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// The orchestration's input: the run id, the validated specification and the engine settings (typed, with every
/// default filled in); after a continue-as-new, also the compact state the run carries on from.
/// </summary>
public sealed record TrainingRunInput(string RunId, TrainingSpecification Specification, ExecutionSettings Execution, TrainingResumeState? Resume = null);

/// <summary>What one orchestration execution hands the next: the session and the outer optimizer's momentum buffer.</summary>
public sealed record TrainingResumeState(TrainingSessionSnapshot Session, CheckpointReference? OuterMomentum, int Execution);

public sealed record EvaluationSummary(long Step, double Loss, double Accuracy);

/// <summary>Progress as a monitor shows it. Bounded in size: it becomes the orchestration's custom status.</summary>
public sealed record TrainingProgress(
    string RunId,
    string Phase,
    long Round,
    long TotalRounds,
    long Step,
    long TotalSteps,
    double Epoch,
    double? LastLoss,
    double? SamplesPerSecond,
    EvaluationSummary? LastEvaluation,
    EvaluationSummary? BestEvaluation,
    double? SecondsRemaining,
    IReadOnlyList<string> Suggestions,
    double LearningRateScale = 1.0,
    int RollbacksUsed = 0,
    int Execution = 1);

/// <summary>The orchestration's output: how the run ended and where its model is.</summary>
public sealed record TrainingOutcome(
    string RunId,
    string Status,
    string? StopReason,
    string? FailureReason,
    long StepsDone,
    long Rounds,
    long SamplesSeen,
    double TrainingSeconds,
    string? FinalCheckpoint,
    string? BestCheckpoint,
    EvaluationSummary? FinalEvaluation,
    EvaluationSummary? BestEvaluation,
    int RollbacksUsed = 0,
    double LearningRateScale = 1.0,
    int Executions = 1)
{
    /// <summary>The status of an execution that handed over to the next one instead of ending.</summary>
    public const string ContinuedAsNew = "ContinuedAsNew";
}
