using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Decisions;

/// <summary>The learning-rate schedules as pure functions of the step: the executor multiplies its base rate by the factor.</summary>
public static class LearningRateSchedules
{
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
        double warmup = warmupSteps > 0 && step < warmupSteps ? (step + 1.0) / warmupSteps : 1.0;
        return schedule switch
        {
            LearningRateSchedule.Constant => 1.0,
            LearningRateSchedule.LinearWarmup => warmup,
            LearningRateSchedule.CosineWithWarmup when step < warmupSteps => warmup,
            LearningRateSchedule.CosineWithWarmup => Cosine(step - warmupSteps, Math.Max(1, totalSteps - warmupSteps), minFactor),
            LearningRateSchedule.StepDecay => Math.Pow(decayFactor, step / Math.Max(1, decayEvery)),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown schedule."),
        };
    }

    private static double Cosine(long step, long span, double minFactor)
    {
        double progress = Math.Min(1.0, (double)step / span);
        return minFactor + ((1 - minFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
