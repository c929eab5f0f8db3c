using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Decisions.Schedules;

/// <summary>
/// One learning-rate schedule: the factor (0..1] the executor multiplies its base rate by, as a pure function of the
/// step. A new schedule is one file implementing this and one member of <see cref="LearningRateSchedule"/> (its
/// name in requests); <see cref="LearningRateSchedules"/> finds it, and a test fails while a member has none.
/// </summary>
public interface ILearningRateSchedule
{
    LearningRateSchedule Kind { get; }

    double Factor(ScheduleAt at);
}

/// <summary>Where a schedule is asked for its factor: the step, the plan's total steps, and the schedule section's settings.</summary>
public readonly record struct ScheduleAt(long Step, long TotalSteps, int WarmupSteps, int DecayEvery, double DecayFactor, double MinFactor)
{
    /// <summary>The linear warm-up's factor: rising to 1 over the warm-up steps, then 1.</summary>
    public double Warmup => WarmupSteps > 0 && Step < WarmupSteps ? (Step + 1.0) / WarmupSteps : 1.0;

    public bool InWarmup => Step < WarmupSteps;
}
