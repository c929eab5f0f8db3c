using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Decisions.Schedules;

/// <summary><c>step-decay</c>: the base rate times the decay factor once every <c>decayEvery</c> steps.</summary>
public sealed class StepDecaySchedule : ILearningRateSchedule
{
    public LearningRateSchedule Kind => LearningRateSchedule.StepDecay;

    public double Factor(ScheduleAt at) => Math.Pow(at.DecayFactor, at.Step / Math.Max(1, at.DecayEvery));
}
