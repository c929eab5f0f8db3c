using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Domain.Sweeps.Schedulers;

namespace DurableTrainer.Domain.Tests;

public class TrialSchedulerTests
{
    public static TheoryData<SweepSchedulerKind> Names => [.. Enum.GetValues<SweepSchedulerKind>()];

    [Theory]
    [MemberData(nameof(Names))]
    public void EverySchedulerName_HasAnImplementationOfThatName(SweepSchedulerKind name)
    {
        Assert.Equal(name, TrialSchedulers.Find(name)?.Kind);
    }

    [Fact]
    public void TheSection_TakesItsRungsAndRulesFromItsScheduler()
    {
        var asha = new SchedulerSection(SweepSchedulerKind.Asha, GraceSteps: 100, ReductionFactor: 4);

        Assert.Equal([100L, 400], asha.Rungs(1000));
        Assert.Empty(new SchedulerSection().Rungs(1000));
        Assert.Contains(new SchedulerSection(SweepSchedulerKind.Asha).Validate(1000), error => error.Field == "scheduler.graceSteps");
        Assert.Empty(new SchedulerSection(GraceSteps: -5).Validate(1000));
    }
}
