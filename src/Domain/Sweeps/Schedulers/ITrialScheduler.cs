using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Sweeps.Schedulers;

/// <summary>
/// A sweep's trial scheduler: where its trials pause (the rungs) and whether a trial at a rung goes on. A new one is
/// one file implementing this and one member of <see cref="SweepSchedulerKind"/> (its name in requests);
/// <see cref="TrialSchedulers"/> finds it, and a test fails while a member has none. Settings it needs beyond the
/// existing ones are fields of <see cref="SchedulerSection"/>.
/// </summary>
public interface ITrialScheduler
{
    SweepSchedulerKind Kind { get; }

    /// <summary>Checks the section's settings this scheduler reads, for trials of at most <paramref name="maximumSteps"/>.</summary>
    void Validate(SchedulerSection section, long maximumSteps, SectionRules rules);

    /// <summary>The rungs, in steps, for trials of at most <paramref name="maximumSteps"/>.</summary>
    IReadOnlyList<long> Rungs(SchedulerSection section, long maximumSteps);

    /// <summary>The verdict for a trial that has reached a rung.</summary>
    RungJudgement Judge(SchedulerSection section, RungReached reached);

    /// <summary>The scheduler and its settings, in words, for the sweep's record.</summary>
    string Describe(SchedulerSection section);
}

/// <summary>
/// A trial at rung <see cref="RungIndex"/> (<see cref="RungSteps"/> steps) whose monitored metric is
/// <see cref="Value"/>, with the values <see cref="Recorded"/> at that rung before it.
/// </summary>
public sealed record RungReached(IReadOnlyList<double> Recorded, double Value, MonitorMode Mode, int RungIndex, long RungSteps, string Metric);
