using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Decisions.Schedules;

/// <summary><c>linear-warmup</c>: rises linearly over the warm-up steps, then stays at the base rate.</summary>
public sealed class LinearWarmupSchedule : ILearningRateSchedule
{
    public LearningRateSchedule Kind => LearningRateSchedule.LinearWarmup;

    public double Factor(ScheduleAt at) => at.Warmup;
}
