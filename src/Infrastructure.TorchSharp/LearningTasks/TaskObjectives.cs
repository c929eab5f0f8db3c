using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>The learning tasks' objectives, each a class of this folder, found by the task it implements.</summary>
public static class TaskObjectives
{
    private static readonly Dictionary<LearningTask, ILearningTaskObjective> ByKind =
        KindImplementations.Discover<LearningTask, ILearningTaskObjective>(objective => objective.Kind);

    /// <summary>The objective of that task, or null when none implements it.</summary>
    public static ILearningTaskObjective? Find(LearningTask task) => ByKind.GetValueOrDefault(task);

    public static ILearningTaskObjective For(LearningTask task) =>
        Find(task) ?? throw new ArgumentOutOfRangeException(nameof(task), task, "No objective implements this task.");
}
