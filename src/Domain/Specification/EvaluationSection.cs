using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>evaluation</c> section: how often to evaluate on the validation split, and which metric (and direction)
/// "best", early stopping, plateau cuts and the target are judged by. A missing metric follows the data's task
/// (accuracy for classification, RMSE for regression); a missing mode follows the metric.
/// </summary>
public sealed record EvaluationSection(
    int IntervalSteps = 1000,
    MonitorMetric? Metric = null,
    MonitorMode? Mode = null)
{
    public const string Path = "evaluation";

    /// <summary>The monitored metric: as given, else the task's default. A validated specification has it resolved.</summary>
    public MonitorMetric ResolvedMetric(LearningTask task = LearningTask.Classification) => Metric ?? MonitorMetrics.DefaultFor(task);

    /// <summary>The direction of improvement, resolved from the metric when not given.</summary>
    public MonitorMode ResolvedMode(LearningTask task = LearningTask.Classification) => Mode ?? MonitorMetrics.DirectionOf(ResolvedMetric(task));

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(IntervalSteps is >= 1 and <= 10_000_000, "intervalSteps", "must be between 1 and 10000000");
        rules.Require(Metric is null || Enum.IsDefined(Metric.Value), "metric", "must be one of " + SpecificationNames.Of<MonitorMetric>());
        rules.Require(Mode is null || Enum.IsDefined(Mode.Value), "mode", "must be one of " + SpecificationNames.Of<MonitorMode>());
        return rules.Errors;
    }

    /// <summary>True when <paramref name="candidate"/> beats <paramref name="reference"/> by more than <paramref name="minDelta"/> in the monitored direction.</summary>
    public bool IsImprovement(double candidate, double? reference, double minDelta = 0) =>
        reference is null || (ResolvedMode() == MonitorMode.Max ? candidate > reference + minDelta : candidate < reference - minDelta);

    /// <summary>True when <paramref name="value"/> has reached <paramref name="target"/> in the monitored direction.</summary>
    public bool Reaches(double value, double target) => ResolvedMode() == MonitorMode.Max ? value >= target : value <= target;

    public double MonitoredValue(EvaluationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.Value(ResolvedMetric());
    }
}
