using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Sweeps.Schedulers;

/// <summary><c>none</c>: every trial runs its whole plan; there are no rungs.</summary>
public sealed class NoTrialScheduler : ITrialScheduler
{
    public SweepSchedulerKind Kind => SweepSchedulerKind.None;

    public void Validate(SchedulerSection section, long maximumSteps, SectionRules rules)
    {
    }

    public IReadOnlyList<long> Rungs(SchedulerSection section, long maximumSteps) => [];

    public RungJudgement Judge(SchedulerSection section, RungReached reached) => new(true, null, null);

    public string Describe(SchedulerSection section) => "none";
}
