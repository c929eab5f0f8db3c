using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Decisions;

/// <summary>What to run next: this many steps on every replica, or nothing because the plan is done.</summary>
public sealed record NextRound(long Round, int StepsPerReplica)
{
    public bool IsNone => StepsPerReplica == 0;

    public static NextRound None(long round) => new(round, 0);
}

/// <summary>The verdict after a round or an evaluation: whether to evaluate now and whether (and why) to stop.</summary>
public sealed record RoundDecision(bool Evaluate, StopReason? Stop, string? FailureReason)
{
    public static RoundDecision Continue { get; } = new(false, null, null);

    public bool ShouldStop => Stop is not null;

    public bool ShouldFail => FailureReason is not null;
}

public enum LossTrend
{
    NotEnoughData,
    Improving,
    Plateau,
    Worsening,
}

/// <summary>A reading of how training is going, with suggestions in plain words for a person to read.</summary>
public sealed record ProgressAnalysis(LossTrend Trend, double? SecondsRemaining, IReadOnlyList<string> Suggestions);
