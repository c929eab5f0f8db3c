using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Training;

/// <summary>What one round of training measured. Loss is the mean training loss over the round's steps.</summary>
public sealed record RoundMetrics(long Round, long StepsDone, double MeanLoss, double LastLoss, long Samples, double Seconds)
{
    public double SamplesPerSecond => Seconds > 0 ? Samples / Seconds : 0;
}

/// <summary>
/// One evaluation of a checkpoint on a split (validation while training, test at the end): the loss and the task's
/// scores, keyed by metric name (<c>accuracy</c>, <c>auc</c>, <c>rmse</c>, <c>mae</c>, <c>r2</c>). Keys, not fields, so
/// that every layer that shows or stores an evaluation carries any task's metrics without knowing them.
/// </summary>
public sealed record EvaluationMetrics(long StepsDone, double Loss, int Examples, IReadOnlyDictionary<string, double> Scores)
{
    /// <summary>A classification evaluation: the loss and the accuracy.</summary>
    public static EvaluationMetrics Classification(long stepsDone, double loss, double accuracy, int examples) =>
        new(stepsDone, loss, examples, new Dictionary<string, double> { [MonitorMetrics.NameOf(MonitorMetric.Accuracy)] = accuracy });

    /// <summary>The metric's value: the loss, a score, or NaN when this evaluation did not measure it.</summary>
    public double Value(MonitorMetric metric) =>
        metric == MonitorMetric.Loss ? Loss : Scores.TryGetValue(MonitorMetrics.NameOf(metric), out double value) ? value : double.NaN;

    /// <summary>The accuracy, or null when the task has none (regression).</summary>
    public double? AccuracyOrNull() => Scores.TryGetValue(MonitorMetrics.NameOf(MonitorMetric.Accuracy), out double value) ? value : null;

    public bool Equals(EvaluationMetrics? other) =>
        other is not null && StepsDone == other.StepsDone && Loss.Equals(other.Loss) && Examples == other.Examples
        && Scores.Count == other.Scores.Count && Scores.All(score => other.Scores.TryGetValue(score.Key, out double value) && value.Equals(score.Value));

    public override int GetHashCode() => HashCode.Combine(StepsDone, Loss, Examples, Scores.Count);
}
