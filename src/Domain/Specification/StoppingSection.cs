namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>stopping</c> section: what ends a run early or changes its course. Early stopping and reduce-on-plateau
/// count evaluations without improvement (0 turns each off); the target and the time budget stop the run; the
/// divergence guard rolls back a round whose loss is non-finite or far above the best, at most so many times.
/// </summary>
public sealed record StoppingSection(
    int EarlyStoppingPatience = 0,
    double EarlyStoppingMinDelta = 0,
    int PlateauPatience = 0,
    double PlateauFactor = 0.5,
    double? MinLearningRate = null,
    double? TargetMetric = null,
    double? TimeBudgetSeconds = null,
    double DivergenceFactor = 10,
    int MaxRollbacks = 2,
    double RollbackLearningRateFactor = 0.5)
{
    public const string Path = "stopping";

    /// <summary>Where plateau cuts stop when not given: 1e-6, or the learning rate when that is lower.</summary>
    public const double DefaultMinLearningRate = 1e-6;

    public double ResolvedMinLearningRate(double learningRate) => MinLearningRate ?? Math.Min(DefaultMinLearningRate, learningRate);

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(EarlyStoppingPatience is >= 0 and <= 1000, "earlyStoppingPatience", "must be between 0 (off) and 1000 evaluations");
        rules.Require(SectionRules.Between(EarlyStoppingMinDelta, 0, 1e6), "earlyStoppingMinDelta", "must be between 0 and 1000000");
        rules.Require(PlateauPatience is >= 0 and <= 1000, "plateauPatience", "must be between 0 (off) and 1000 evaluations");
        rules.Require(SectionRules.Inside(PlateauFactor, 0, 1), "plateauFactor", "must be greater than 0 and less than 1");
        rules.Require(MinLearningRate is null || SectionRules.Between(MinLearningRate.Value, 0, OptimizerSection.MaxLearningRate), "minLearningRate", "must be at least 0 and at most optimizer.learningRate");
        rules.Require(TargetMetric is null || double.IsFinite(TargetMetric.Value), "targetMetric", "must be a finite number when given");
        rules.Require(TimeBudgetSeconds is null || SectionRules.AboveAtMost(TimeBudgetSeconds.Value, 0, 31_536_000),
            "timeBudgetSeconds", "must be greater than 0 and at most 31536000 (a year) when given");
        rules.Require(double.IsFinite(DivergenceFactor) && (DivergenceFactor == 0 || (DivergenceFactor > 1 && DivergenceFactor <= 1e6)),
            "divergenceFactor", "must be 0 (off) or greater than 1 and at most 1000000");
        rules.Require(MaxRollbacks is >= 0 and <= 100, "maxRollbacks", "must be between 0 and 100");
        rules.Require(SectionRules.Inside(RollbackLearningRateFactor, 0, 1),
            "rollbackLearningRateFactor", "must be greater than 0 and less than 1");
        return rules.Errors;
    }
}
