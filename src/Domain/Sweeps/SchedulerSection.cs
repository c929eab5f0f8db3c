using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Sweeps;

/// <summary>
/// The <c>scheduler</c> section of a sweep: which trial scheduler (none, or ASHA with its grace period, the first rung
/// in optimizer steps, and reduction factor η) and the settings it reads; the scheduler itself
/// (<see cref="Schedulers.ITrialScheduler"/>) checks them and places the rungs.
/// </summary>
public sealed record SchedulerSection(SweepSchedulerKind Kind = SweepSchedulerKind.None, long? GraceSteps = null, double ReductionFactor = 3)
{
    public const string Path = "scheduler";

    public IReadOnlyList<ValidationError> Validate(long maximumSteps)
    {
        var rules = new SectionRules(Path);
        rules.Require(Enum.IsDefined(Kind), "kind", "must be one of " + SpecificationNames.Of<SweepSchedulerKind>());
        Schedulers.TrialSchedulers.Find(Kind)?.Validate(this, maximumSteps, rules);
        return rules.Errors;
    }

    /// <summary>The rungs, in steps, for trials of at most <paramref name="maximumSteps"/>: none without a scheduler that places them.</summary>
    public IReadOnlyList<long> Rungs(long maximumSteps) =>
        Schedulers.TrialSchedulers.Find(Kind)?.Rungs(this, maximumSteps) ?? [];
}

/// <summary>
/// The whole of a sweep's own settings, beside its space and its base run: how it searches, what stops trials, how
/// many run at once, its budget, and how often it checks that its running trials still exist (a trial terminated or
/// purged by hand never reports, and would otherwise hold its slot for ever).
/// </summary>
public sealed record SweepSettings(SearchSection Search, SchedulerSection Scheduler, int MaxConcurrent = 2, long? BudgetSteps = null, int TrialCheckSeconds = SweepSettings.DefaultTrialCheckSeconds)
{
    public const int MostConcurrent = 64;
    public const int DefaultTrialCheckSeconds = 60;
    public const int LongestTrialCheckSeconds = 3600;

    public IReadOnlyList<ValidationError> ValidateLimits()
    {
        var errors = new List<ValidationError>();
        if (MaxConcurrent is < 1 or > MostConcurrent)
        {
            errors.Add(new ValidationError("maxConcurrent", $"must be between 1 and {MostConcurrent}"));
        }

        if (BudgetSteps is < 1)
        {
            errors.Add(new ValidationError("budgetSteps", "must be at least 1 when given"));
        }

        if (TrialCheckSeconds is < 1 or > LongestTrialCheckSeconds)
        {
            errors.Add(new ValidationError("trialCheckSeconds", $"must be between 1 and {LongestTrialCheckSeconds}"));
        }

        return errors;
    }
}
