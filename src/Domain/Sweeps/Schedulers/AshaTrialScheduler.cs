using System.Globalization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Sweeps.Schedulers;

/// <summary>
/// <c>asha</c>: asynchronous successive halving with its grace period (the first rung, in optimizer steps) and
/// reduction factor η; the rule itself is <see cref="AshaScheduler"/>.
/// </summary>
public sealed class AshaTrialScheduler : ITrialScheduler
{
    public SweepSchedulerKind Kind => SweepSchedulerKind.Asha;

    public void Validate(SchedulerSection section, long maximumSteps, SectionRules rules)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(rules);
        rules.Require(section.GraceSteps is not null, "graceSteps", "is required for asha: the first rung, in optimizer steps");
        rules.Require(section.GraceSteps is null or >= 1, "graceSteps", "must be at least 1");
        rules.Require(section.GraceSteps is null or < 1 || section.GraceSteps < maximumSteps, "graceSteps",
            $"must be less than the trials' maximum of {maximumSteps.ToString(CultureInfo.InvariantCulture)} steps (no trial would reach the first rung)");
        rules.Require(double.IsFinite(section.ReductionFactor) && section.ReductionFactor >= 2 && section.ReductionFactor <= 100, "reductionFactor", "must be at least 2 and at most 100");
    }

    public IReadOnlyList<long> Rungs(SchedulerSection section, long maximumSteps)
    {
        ArgumentNullException.ThrowIfNull(section);
        return section.GraceSteps is { } grace ? AshaScheduler.Rungs(grace, section.ReductionFactor, maximumSteps) : [];
    }

    public RungJudgement Judge(SchedulerSection section, RungReached reached)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(reached);
        return AshaScheduler.Judge(reached.Recorded, reached.Value, section.ReductionFactor, reached.Mode, reached.RungIndex, reached.RungSteps, reached.Metric);
    }

    public string Describe(SchedulerSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return string.Create(CultureInfo.InvariantCulture, $"asha (grace {section.GraceSteps} steps, reduction factor {section.ReductionFactor:G4})");
    }
}
