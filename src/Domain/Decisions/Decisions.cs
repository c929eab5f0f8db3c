using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Decisions;

/// <summary>What to run next: this many steps on every replica, or nothing because the plan is done.</summary>
public sealed record NextRound(long Round, int StepsPerReplica)
{
    public bool IsNone => StepsPerReplica == 0;

    public static NextRound None(long round) => new(round, 0);
}

/// <summary>
/// What the loop will want measured on a round's output if the round is accepted, as far as can be known before it
/// runs: a validation (the interval ends, the plan ends, or a sweep's rung is reached) and the final test (the plan
/// ends). An executor that trains the round can measure them while the model is still in memory, which saves an
/// activity hop and a checkpoint read per evaluation. Stops that depend on the clock or a request are not foreseen;
/// those rounds are evaluated afterwards as before.
/// </summary>
public sealed record ForeseenEvaluations(bool Validation, bool Test)
{
    public static ForeseenEvaluations None { get; } = new(false, false);
}

/// <summary>Whether a finished round may be kept, must be redone from the last good checkpoint with a smaller learning rate, or ends the run.</summary>
public abstract record RoundVerdict
{
    private RoundVerdict()
    {
    }

    public static RoundVerdict Accepted { get; } = new Accept();

    /// <summary>The round is good: record it.</summary>
    public sealed record Accept : RoundVerdict;

    /// <summary>The round diverged: discard it and go back to the last good checkpoint at this learning-rate scale.</summary>
    public sealed record RollBack(double NewLearningRateScale, string Reason) : RoundVerdict;

    /// <summary>The round diverged and no rollbacks are left.</summary>
    public sealed record Fail(string Reason) : RoundVerdict;
}

/// <summary>After an accepted round: go on (evaluating first or not), or stop for a reason (evaluating first or not).</summary>
public abstract record RoundDecision
{
    private RoundDecision()
    {
    }

    public abstract bool Evaluate { get; }

    public sealed record GoOn(bool Evaluate) : RoundDecision
    {
        public override bool Evaluate { get; } = Evaluate;
    }

    public sealed record Stop(StopReason Reason, bool Evaluate) : RoundDecision
    {
        public override bool Evaluate { get; } = Evaluate;

        /// <summary>True for the reasons that cut a run short (it ends Stopped); false for those that complete it.</summary>
        public bool EndsEarly => EndsEarlyFor(Reason);
    }

    /// <summary>True for the reasons that cut a run short (it ends Stopped); false for those that complete it.</summary>
    public static bool EndsEarlyFor(StopReason reason) => reason is StopReason.StopRequested or StopReason.TimeBudgetExhausted or StopReason.SchedulerStopped;
}

/// <summary>After an evaluation: go on, cut the learning rate, stop, or fail.</summary>
public abstract record EvaluationDecision
{
    private EvaluationDecision()
    {
    }

    public static EvaluationDecision Continue { get; } = new GoOn();

    public sealed record GoOn : EvaluationDecision;

    public sealed record CutLearningRate(double NewLearningRateScale, string Reason) : EvaluationDecision;

    public sealed record Stop(StopReason Reason) : EvaluationDecision;

    public sealed record Fail(string Reason) : EvaluationDecision;
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
