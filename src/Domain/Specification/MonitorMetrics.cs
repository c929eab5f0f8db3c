using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// What each task measures and which way each metric improves, read from the marks on <see cref="LearningTask"/> and
/// <see cref="MonitorMetric"/>, so the specification's rules, the domain's decisions and every view of an evaluation
/// agree on them.
/// </summary>
public static class MonitorMetrics
{
    private static readonly Dictionary<LearningTask, IReadOnlyList<MonitorMetric>> ScoresByTask =
        Enum.GetValues<LearningTask>().ToDictionary(task => task, task => MarkOf<LearningTask, ReportsAttribute>(task)?.Scores ?? []);

    private static readonly Dictionary<MonitorMetric, MonitorMode> DirectionByMetric =
        Enum.GetValues<MonitorMetric>().ToDictionary(metric => metric, metric => MarkOf<MonitorMetric, ImprovesAttribute>(metric)?.Direction ?? MonitorMode.Min);

    private static readonly HashSet<MonitorMetric> Fractions =
        Enum.GetValues<MonitorMetric>().Where(metric => MarkOf<MonitorMetric, FractionAttribute>(metric) is not null).ToHashSet();

    public static string NameOf(MonitorMetric metric) => SpecificationNames.Of(metric);

    /// <summary>The scores an evaluation of <paramref name="task"/> reports (the loss always comes with them).</summary>
    public static IReadOnlyList<MonitorMetric> ScoresOf(LearningTask task) => ScoresByTask.TryGetValue(task, out IReadOnlyList<MonitorMetric>? scores) ? scores : [];

    /// <summary>What a run of <paramref name="task"/> is judged by when the specification does not say: its first score.</summary>
    public static MonitorMetric DefaultFor(LearningTask task) => ScoresOf(task).FirstOrDefault(MonitorMetric.Loss);

    public static bool AppliesTo(MonitorMetric metric, LearningTask task) => metric == MonitorMetric.Loss || ScoresOf(task).Contains(metric);

    /// <summary>Which way the metric improves, as its member is marked: scores such as accuracy upwards, the loss and errors downwards.</summary>
    public static MonitorMode DirectionOf(MonitorMetric metric) => DirectionByMetric[metric];

    /// <summary>Whether the metric is a fraction (accuracy, AUC), so a target for it must lie in (0, 1].</summary>
    public static bool IsFraction(MonitorMetric metric) => Fractions.Contains(metric);

    /// <summary>
    /// Every score's name in the order of <see cref="MonitorMetric"/>, the loss left out: the first one an evaluation has
    /// is its headline (accuracy for classifiers, RMSE for regression), as each task's first score judges it by default.
    /// </summary>
    public static IReadOnlyList<string> ScoreNames { get; } = Enum.GetValues<MonitorMetric>().Where(metric => metric != MonitorMetric.Loss).Select(NameOf).ToArray();

    /// <summary>Whether the metric of that name is a fraction; false for names that are not metrics.</summary>
    public static bool IsFraction(string metricName) => SpecificationNames.TryParse(metricName, out MonitorMetric metric) && IsFraction(metric);

    /// <summary>The metrics that can judge a run of <paramref name="task"/>, for error messages.</summary>
    public static string NamesFor(LearningTask task) => string.Join(", ", ScoresOf(task).Append(MonitorMetric.Loss).Select(NameOf));

    private static TMark? MarkOf<TEnum, TMark>(TEnum member)
        where TEnum : struct, Enum
        where TMark : Attribute =>
        typeof(TEnum).GetField(member.ToString())?.GetCustomAttributes(typeof(TMark), inherit: false).OfType<TMark>().FirstOrDefault();
}
