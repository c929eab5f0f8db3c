using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;

namespace DurableTrainer.Domain.Tests;

public class LearningRateScheduleTests
{
    public static TheoryData<LearningRateSchedule> Names => [.. Enum.GetValues<LearningRateSchedule>()];

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryScheduleName_HasAnImplementationOfThatName(LearningRateSchedule name)
    {
        Assert.Equal(name, LearningRateSchedules.Find(name)?.Kind);
    }

    [Theory]
    [InlineData(LearningRateSchedule.Constant, 0, 1.0)]
    [InlineData(LearningRateSchedule.LinearWarmup, 4, 0.5)]
    [InlineData(LearningRateSchedule.CosineWithWarmup, 4, 0.5)]
    [InlineData(LearningRateSchedule.CosineWithWarmup, 60, 0.55)]
    [InlineData(LearningRateSchedule.CosineWithWarmup, 200, 0.1)]
    [InlineData(LearningRateSchedule.StepDecay, 250, 0.25)]
    public void Factor_FollowsTheNamedSchedule(LearningRateSchedule name, long step, double expected)
    {
        // 10 warm-up steps of 110, then a cosine from 1 to the 0.1 floor; step decay halves every 100 steps.
        double factor = LearningRateSchedules.Factor(name, step, totalSteps: 110, warmupSteps: 10, decayEvery: 100, decayFactor: 0.5, minFactor: 0.1);

        Assert.Equal(expected, factor, precision: 12);
    }
}
