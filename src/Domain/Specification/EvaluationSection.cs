using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>evaluation</c> section: how often to evaluate, and which metric (and direction) "best", early stopping,
/// plateau cuts and the target are judged by. A missing mode follows the metric (max for accuracy, min for loss).
/// </summary>
public sealed record EvaluationSection(
    int IntervalSteps = 1000,
    MonitorMetric Metric = MonitorMetric.Accuracy,
    MonitorMode? Mode = null)
{
    public const string Path = "evaluation";

    /// <summary>The direction of improvement, resolved from the metric when not given.</summary>
    public MonitorMode ResolvedMode() => Mode ?? (Metric == MonitorMetric.Accuracy ? MonitorMode.Max : MonitorMode.Min);

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(IntervalSteps is >= 1 and <= 10_000_000, "intervalSteps", "must be between 1 and 10000000");
        rules.Require(Enum.IsDefined(Metric), "metric", "must be one of " + SpecificationNames.Of<MonitorMetric>());
        rules.Require(Mode is null || Enum.IsDefined(Mode.Value), "mode", "must be one of " + SpecificationNames.Of<MonitorMode>());
        return rules.Errors;
    }

    /// <summary>True when <paramref name="candidate"/> beats <paramref name="reference"/> by more than <paramref name="minDelta"/> in the monitored direction.</summary>
    public bool IsImprovement(double candidate, double? reference, double minDelta = 0) =>
        reference is null || (ResolvedMode() == MonitorMode.Max ? candidate > reference + minDelta : candidate < reference - minDelta);

    /// <summary>True when <paramref name="value"/> has reached <paramref name="target"/> in the monitored direction.</summary>
    public bool Reaches(double value, double target) => ResolvedMode() == MonitorMode.Max ? value >= target : value <= target;

    public double MonitoredValue(double loss, double accuracy) => Metric == MonitorMetric.Accuracy ? accuracy : loss;
}
