using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Decisions.Schedules;

/// <summary><c>cosine-with-warmup</c>: the linear warm-up, then a half cosine down to the minimum factor at the last step.</summary>
public sealed class CosineWithWarmupSchedule : ILearningRateSchedule
{
    public LearningRateSchedule Kind => LearningRateSchedule.CosineWithWarmup;

    public double Factor(ScheduleAt at)
    {
        if (at.InWarmup)
        {
            return at.Warmup;
        }

        long span = Math.Max(1, at.TotalSteps - at.WarmupSteps);
        double progress = Math.Min(1.0, (double)(at.Step - at.WarmupSteps) / span);
        return at.MinFactor + ((1 - at.MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
