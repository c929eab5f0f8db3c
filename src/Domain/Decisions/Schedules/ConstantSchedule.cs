using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Decisions.Schedules;

/// <summary><c>constant</c>: the base rate at every step.</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    public LearningRateSchedule Kind => LearningRateSchedule.Constant;

    public double Factor(ScheduleAt at) => 1.0;
}
