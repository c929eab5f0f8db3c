using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

public class LearningTaskObjectiveTests
{
    public static TheoryData<LearningTask> Tasks => [.. Enum.GetValues<LearningTask>()];

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EveryTask_HasAnObjectiveOfThatTask(LearningTask task)
    {
        Assert.Equal(task, TaskObjectives.Find(task)?.Kind);
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EveryTask_ReportsExactlyTheScoresItsMemberDeclares(LearningTask task)
    {
        ILearningTaskObjective objective = TaskObjectives.For(task);
        if (new DataSection(Task: task).IsTokenStream())
        {
            // Token streams have no rows: logits [N, T, vocabulary] against the next ids [N, T].
            ITaskEvaluation tokens = objective.StartEvaluation(new Preprocessing("none", [0], [1]));
            using var seeded = new Generator(7);
            using Tensor logits = randn(2, 5, 8, generator: seeded);
            using Tensor next = randint(8, new long[] { 2, 5 }, generator: seeded);
            tokens.Add(logits, next);
            EvaluationMetrics measured = tokens.Result();
            Assert.Equal(MonitorMetrics.ScoresOf(task).Select(MonitorMetrics.NameOf).Order(), measured.Scores.Keys.Order());
            Assert.Equal(10, measured.Examples);
            return;
        }

        RawExamples train = Examples(objective.NeedsNumericLabels ? RawLabels.Of([1.5, -2, 0.25, 4]) : RawLabels.Of(["a", "b", "a", "b"]));
        TargetEncoder targets = objective.TargetsFrom(train);
        var preprocessing = new Preprocessing(Axis: "feature", FeatureMean: [0], FeatureStd: [1], TargetMean: targets.Mean, TargetStd: targets.Std, ClassNames: targets.ClassNames);
        ITaskEvaluation evaluation = objective.StartEvaluation(preprocessing);
        using var generator = new Generator(7);
        using Tensor outputs = randn(train.Count, targets.Outputs, generator: generator);
        using Tensor encoded = targets.Encode(train);
        evaluation.Add(outputs, encoded);

        EvaluationMetrics metrics = evaluation.Result();

        Assert.Equal(MonitorMetrics.ScoresOf(task).Select(MonitorMetrics.NameOf).Order(), metrics.Scores.Keys.Order());
        Assert.Equal(train.Count, metrics.Examples);
        Assert.True(double.IsFinite(metrics.Loss) && metrics.Loss > 0);
    }

    [Fact]
    public void Binary_RefusesThreeClasses_NamingTheFileAndTheRule()
    {
        RawExamples train = Examples(RawLabels.Of(["cat", "dog", "eel", "cat"]));

        DataFormatException error = Assert.Throws<DataFormatException>(() => TaskObjectives.For(LearningTask.Binary).TargetsFrom(train));

        Assert.Contains("'train.csv' has 3 classes", error.Message, StringComparison.Ordinal);
        Assert.Contains("binary needs exactly two", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Regression_RefusesTextLabels_NamingTheFirstOne()
    {
        RawExamples train = Examples(RawLabels.Of(["tall", "short", "tall", "short"]));

        DataFormatException error = Assert.Throws<DataFormatException>(() => TaskObjectives.For(LearningTask.Regression).CheckLabels(train));

        Assert.Contains("('tall')", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new float[] { 0.1f, 0.4f, 0.35f, 0.8f }, new long[] { 0, 0, 1, 1 }, 0.75)]
    [InlineData(new float[] { 0.5f, 0.5f, 0.5f, 0.5f }, new long[] { 0, 1, 0, 1 }, 0.5)]
    [InlineData(new float[] { 0.9f, 0.8f, 0.2f }, new long[] { 1, 1, 0 }, 1.0)]
    public void RocAuc_IsTheChanceAPositiveOutscoresANegative_TiesCountingHalf(float[] scores, long[] labels, double expected)
    {
        Assert.Equal(expected, ClassEvaluation.RocAuc(scores, labels), 12);
    }

    private static RawExamples Examples(RawLabels labels) =>
        new("train.csv", [1, 2, 3, 4], [1], labels, row => $"row {row + 2}");
}
