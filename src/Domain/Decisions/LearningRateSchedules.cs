using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions.Schedules;

namespace DurableTrainer.Domain.Decisions;

/// <summary>
/// The learning-rate schedules as pure functions of the step: the executor multiplies its base rate by the factor.
/// Each schedule is a class of <see cref="Schedules"/>, found here by the name it implements.
/// </summary>
public static class LearningRateSchedules
{
    private static readonly Dictionary<LearningRateSchedule, ILearningRateSchedule> ByKind =
        KindImplementations.Discover<LearningRateSchedule, ILearningRateSchedule>(schedule => schedule.Kind);

    /// <summary>The schedule of that name, or null when none implements it.</summary>
    public static ILearningRateSchedule? Find(LearningRateSchedule schedule) => ByKind.GetValueOrDefault(schedule);

    /// <summary>The factor (0..1] for a schedule at <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public static double Factor(
        LearningRateSchedule schedule,
        long step,
        long totalSteps,
        int warmupSteps,
        int decayEvery,
        double decayFactor,
        double minFactor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ILearningRateSchedule implementation = Find(schedule) ?? throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown schedule.");
        return implementation.Factor(new ScheduleAt(step, totalSteps, warmupSteps, decayEvery, decayFactor, minFactor));
    }
}
