using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Specification;

/// <summary>The <c>schedule</c> section: how the learning rate moves with the global step (before the run's scale).</summary>
public sealed record ScheduleSection(
    LearningRateSchedule Name = LearningRateSchedule.Constant,
    int WarmupSteps = 0,
    int StepDecayEvery = 1000,
    double StepDecayFactor = 0.5,
    double MinFactor = 0)
{
    public const string Path = "schedule";

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Enum.IsDefined(Name), "name", "must be one of " + SpecificationNames.Of<LearningRateSchedule>());
        rules.Require(WarmupSteps is >= 0 and <= 10_000_000, "warmupSteps", "must be between 0 and 10000000");
        rules.Require(StepDecayEvery is >= 1 and <= 10_000_000, "stepDecayEvery", "must be between 1 and 10000000");
        rules.Require(SectionRules.AboveAtMost(StepDecayFactor, 0, 1), "stepDecayFactor", "must be greater than 0 and at most 1");
        rules.Require(SectionRules.Between(MinFactor, 0, 1), "minFactor", "must be between 0 and 1");
        return rules.Errors;
    }

    /// <summary>The schedule's factor at <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public double FactorAt(long step, long totalSteps) =>
        Decisions.LearningRateSchedules.Factor(Name, step, totalSteps, WarmupSteps, StepDecayEvery, StepDecayFactor, MinFactor);
}
