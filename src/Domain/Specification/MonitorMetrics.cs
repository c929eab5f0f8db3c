using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// What each task measures and which way each metric improves. One table, so the specification's rules, the
/// domain's decisions and every view of an evaluation agree on it.
/// </summary>
public static class MonitorMetrics
{
    private static readonly Dictionary<LearningTask, MonitorMetric[]> ScoresByTask = new Dictionary<LearningTask, MonitorMetric[]>
    {
        [LearningTask.Classification] = [MonitorMetric.Accuracy],
        [LearningTask.Binary] = [MonitorMetric.Accuracy, MonitorMetric.Auc],
        [LearningTask.Regression] = [MonitorMetric.Rmse, MonitorMetric.Mae, MonitorMetric.R2],
    };

    public static string NameOf(MonitorMetric metric) => SpecificationNames.Of(metric);

    /// <summary>The scores an evaluation of <paramref name="task"/> reports (the loss always comes with them).</summary>
    public static IReadOnlyList<MonitorMetric> ScoresOf(LearningTask task) => ScoresByTask.TryGetValue(task, out MonitorMetric[]? scores) ? scores : [];

    /// <summary>What a run of <paramref name="task"/> is judged by when the specification does not say: its first score.</summary>
    public static MonitorMetric DefaultFor(LearningTask task) => ScoresOf(task).FirstOrDefault(MonitorMetric.Loss);

    public static bool AppliesTo(MonitorMetric metric, LearningTask task) => metric == MonitorMetric.Loss || ScoresOf(task).Contains(metric);

    /// <summary>Accuracy, AUC and R² improve upwards; the loss and the errors downwards.</summary>
    public static MonitorMode DirectionOf(MonitorMetric metric) =>
        metric is MonitorMetric.Accuracy or MonitorMetric.Auc or MonitorMetric.R2 ? MonitorMode.Max : MonitorMode.Min;

    /// <summary>Accuracy and AUC are fractions: a target for them must lie in (0, 1].</summary>
    public static bool IsFraction(MonitorMetric metric) => metric is MonitorMetric.Accuracy or MonitorMetric.Auc;

    /// <summary>The metrics that can judge a run of <paramref name="task"/>, for error messages.</summary>
    public static string NamesFor(LearningTask task) => string.Join(", ", ScoresOf(task).Append(MonitorMetric.Loss).Select(NameOf));
}
