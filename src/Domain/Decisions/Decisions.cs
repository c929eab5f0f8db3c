using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Decisions;

/// <summary>What to run next: this many steps on every replica, or nothing because the plan is done.</summary>
public sealed record NextRound(long Round, int StepsPerReplica)
{
    public bool IsNone => StepsPerReplica == 0;

    public static NextRound None(long round) => new(round, 0);
}

public enum RoundVerdictKind
{
    Accept,
    RollBack,
    Fail,
}

/// <summary>Whether a finished round may be kept, must be redone from the last good checkpoint with a smaller learning rate, or ends the run.</summary>
public sealed record RoundVerdict(RoundVerdictKind Kind, double? NewLearningRateScale, string? Reason)
{
    public static RoundVerdict Accept { get; } = new(RoundVerdictKind.Accept, null, null);
}

/// <summary>
/// The verdict after a round or an evaluation: evaluate now? stop, and why? fail, and why? change the learning-rate
/// scale, and why?
/// </summary>
public sealed record RoundDecision(bool Evaluate, StopReason? Stop, string? FailureReason, double? NewLearningRateScale = null, string? LearningRateReason = null)
{
    public static RoundDecision Continue { get; } = new(false, null, null);

    public bool ShouldStop => Stop is not null;

    public bool ShouldFail => FailureReason is not null;

    /// <summary>True for the reasons that cut a run short (it ends Stopped); false for those that complete it.</summary>
    public static bool EndsEarly(StopReason reason) => reason is StopReason.StopRequested or StopReason.TimeBudgetExhausted;
}

public enum LossTrend
{
    NotEnoughData,
    Improving,
    Plateau,
    Worsening,
}

/// <summary>A reading of how training is going, with suggestions in plain words for a person to read.</summary>
public sealed record ProgressAnalysis(
    LossTrend Trend,
    double? SecondsRemaining,
    bool Overfitting,
    bool DivergenceRisk,
    IReadOnlyList<string> Suggestions);
