using System.Globalization;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Sweeps;

/// <summary>
/// The <c>scheduler</c> section of a sweep: none, or ASHA with its grace period (the first rung, in optimizer
/// steps) and reduction factor η. Rungs sit at grace × η^k steps below the trials' maximum.
/// </summary>
public sealed record SchedulerSection(SweepSchedulerKind Kind = SweepSchedulerKind.None, long? GraceSteps = null, double ReductionFactor = 3)
{
    public const string Path = "scheduler";

    public IReadOnlyList<ValidationError> Validate(long maximumSteps)
    {
        var rules = new SectionRules(Path);
        rules.Require(Enum.IsDefined(Kind), "kind", "must be one of " + SpecificationNames.Of<SweepSchedulerKind>());
        if (Kind != SweepSchedulerKind.Asha)
        {
            return rules.Errors;
        }

        rules.Require(GraceSteps is not null, "graceSteps", "is required for asha: the first rung, in optimizer steps");
        rules.Require(GraceSteps is null or >= 1, "graceSteps", "must be at least 1");
        rules.Require(GraceSteps is null or < 1 || GraceSteps < maximumSteps, "graceSteps",
            $"must be less than the trials' maximum of {maximumSteps.ToString(CultureInfo.InvariantCulture)} steps (no trial would reach the first rung)");
        rules.Require(double.IsFinite(ReductionFactor) && ReductionFactor >= 2 && ReductionFactor <= 100, "reductionFactor", "must be at least 2 and at most 100");
        return rules.Errors;
    }

    /// <summary>The rungs, in steps, for trials of at most <paramref name="maximumSteps"/>: none without ASHA.</summary>
    public IReadOnlyList<long> Rungs(long maximumSteps) =>
        Kind == SweepSchedulerKind.Asha && GraceSteps is { } grace ? AshaScheduler.Rungs(grace, ReductionFactor, maximumSteps) : [];
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
