using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Tests;

/// <summary>The data section's rules, the task's metrics and their directions, and testing a finished run.</summary>
public class DataAndTaskTests
{
    [Theory]
    [InlineData("train.csv", true)]
    [InlineData("folder/", true)]
    [InlineData("a/b/c_d-e.1.npz", true)]
    [InlineData("../x.csv", false)]
    [InlineData("a/../x.csv", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("https://evil/x.csv", false)]
    [InlineData("a/.hidden/x.csv", false)]
    [InlineData("a//b.csv", false)]
    [InlineData("a b.csv", false)]
    [InlineData("", false)]
    public void DataPaths_StayInsideTheContainer(string path, bool valid) => Assert.Equal(valid, DataSection.IsValidPath(path));

    public static TheoryData<DataSection, string> MisplacedTokenFields => new()
    {
        { new DataSection(Source: "a.csv", Label: "y", Tokenizer: TokenizerKind.Char), "data.tokenizer" },
        { new DataSection(Source: "a.csv", Label: "y", ContextLength: 64), "data.contextLength" },
        { new DataSection(Source: "a.npy", VocabularySize: 50), "data.vocabularySize" },
        { new DataSection(Task: LearningTask.LanguageModel), "data.task" },
        { new DataSection(Source: "a.txt", Task: LearningTask.LanguageModel, ContextLength: 0), "data.contextLength" },
        { new DataSection(Source: "a.txt", Task: LearningTask.LanguageModel, Tokenizer: TokenizerKind.Char, VocabularySize: 70), "data.vocabularySize" },
        { new DataSection(Source: "texts/", Task: LearningTask.LanguageModel, Sharded: true), "data.sharded" },
        { new DataSection(Source: "a.csv", Label: "y", Text: "y"), "data.text" },
        { new DataSection(Source: "a.csv", Label: "y", Text: "id", IdColumn: "id"), "data.text" },
        { new DataSection(Source: "a.csv", Label: "y", Text: "t", Categorical: ["t"]), "data.text" },
        { new DataSection(Source: "a.csv", Label: "y", Text: "t", Task: LearningTask.Regression), "data.text" },
        { new DataSection(Source: "a.txt", Text: "t", Task: LearningTask.LanguageModel), "data.text" },
        { new DataSection(Source: "a.csv", Label: "y", Text: "t", VocabularySize: 90), "data.vocabularySize" },
        { new DataSection(Source: "texts/", Label: "y", Text: "t", Sharded: true), "data.sharded" },
        { new DataSection(Text: "t"), "data.text" },
    };

    [Theory]
    [MemberData(nameof(MisplacedTokenFields))]
    public void TokenDataFields_OutsideTheirUse_AreRefusedAtTheirField(DataSection data, string field) =>
        Assert.Contains(field, data.Validate().Select(error => error.Field));

    [Fact]
    public void ALanguageModelsText_IsSplitTenthByTenthAtItsTail_AndReadInWindowsOf128ByDefault()
    {
        DataSection data = new DataSection(Source: "shakespeare.txt", Task: LearningTask.LanguageModel).Resolved();

        Assert.Empty(data.Validate());
        Assert.True(data.IsTokenStream());
        Assert.Equal(0.1, data.TestFraction);
        Assert.Equal(0.1, data.ValidationFraction);
        Assert.Equal(128, data.ContextLength);
        Assert.Equal([MonitorMetric.Perplexity, MonitorMetric.BitsPerToken], MonitorMetrics.ScoresOf(LearningTask.LanguageModel));
        Assert.Equal(MonitorMode.Min, MonitorMetrics.DirectionOf(MonitorMetrics.DefaultFor(LearningTask.LanguageModel)));
        Assert.Equal("bits-per-token", MonitorMetrics.NameOf(MonitorMetric.BitsPerToken));
    }

    [Fact]
    public void ALanguageModelsShape_AsksForOneOutputPerPosition()
    {
        var shape = new DataShape([64], 65) { Vocabulary = 65, OutputsPerPosition = true };

        Assert.Equal([64, 65], shape.Output);
        Assert.Equal("[64] -> [64, 65]", shape.ToString());
        Assert.NotEqual(new DataShape([64], 65), shape);
        Assert.Equal("gpt", ModelSection.DefaultFor(shape).Architecture);
    }

    [Fact]
    public void ATablesTextColumn_ReadsWindowsOf128ByDefault_GetsTheEncoder_AndTheTextRecipe()
    {
        var given = new DataSection(Source: "reviews.csv", Label: "stars", Text: "review", Tokenizer: TokenizerKind.Byte);
        DataSection data = given.Resolved();
        TrainingSpecification specification = TrainingSpecification.Create(data: given).GetValueOrThrow();
        TrainingSpecification table = TrainingSpecification.Create(data: new DataSection(Source: "iris.csv", Label: "species")).GetValueOrThrow();

        Assert.Empty(given.Validate());
        Assert.True(data.IsTextTable());
        Assert.False(data.IsTokenStream());
        Assert.Equal(128, data.ContextLength);
        Assert.Equal((0.2, 0.1), (data.TestFraction!.Value, data.ValidationFraction!.Value));
        Assert.Equal("encoder", ModelSection.DefaultFor(new DataShape([128], 5) { Vocabulary = 257, PaddingId = 256 }).Architecture);
        Assert.Equal((OptimizerKind.AdamW, WeightDecayScope.Matrices, LearningRateSchedule.CosineWithWarmup, 10), (specification.Optimizer.Name, specification.Optimizer.WeightDecayOn!.Value, specification.Schedule.Name, specification.Training.Epochs));
        Assert.Equal(1.0, specification.Training.GradientClipNorm);
        // Tables, images and language models keep the recipe tuned on Fashion-MNIST.
        Assert.Equal((new OptimizerSection(), new ScheduleSection(), new TrainingSection()), (table.Optimizer, table.Schedule, table.Training));
    }

    [Fact]
    public void AShapeWithPadding_DiffersFromOneWithout()
    {
        var padded = new DataShape([32], 3) { Vocabulary = 41, PaddingId = 40 };

        Assert.NotEqual(new DataShape([32], 3) { Vocabulary = 41 }, padded);
        Assert.Equal(new DataShape([32], 3) { Vocabulary = 41, PaddingId = 40 }, padded);
        Assert.Equal(new DataShape([32], 3) { Vocabulary = 41, PaddingId = 40 }.GetHashCode(), padded.GetHashCode());
    }

    [Fact]
    public void EveryMetric_IsMarkedWithTheWayItImproves()
    {
        Assert.All(Enum.GetValues<MonitorMetric>(), metric =>
            Assert.NotNull(typeof(MonitorMetric).GetField(metric.ToString())!.GetCustomAttributes(typeof(ImprovesAttribute), inherit: false).SingleOrDefault()));
    }

    [Fact]
    public void EveryTask_ReportsAtLeastOneScore_AndEachScoreFindsItsDirection()
    {
        Assert.All(Enum.GetValues<LearningTask>(), task => Assert.NotEmpty(MonitorMetrics.ScoresOf(task)));
        Assert.Equal(MonitorMode.Max, MonitorMetrics.DirectionOf(MonitorMetric.Auc));
        Assert.Equal(MonitorMode.Min, MonitorMetrics.DirectionOf(MonitorMetric.Rmse));
        Assert.True(MonitorMetrics.IsFraction(MonitorMetric.Accuracy));
        Assert.False(MonitorMetrics.IsFraction(MonitorMetric.R2));
    }

    [Fact]
    public void BuiltInData_RefusesTheFieldsThatDescribeOwnData_NamingEach()
    {
        var errors = new DataSection(DatasetKind.FashionMnist, Label: "y", Format: "csv").Validate();

        Assert.Equal(new[] { "data.format", "data.label" }, errors.Select(error => error.Field).Order());
    }

    [Fact]
    public void DatasetAndSource_TogetherAreRefused_AndFractionsMustLeaveDataToTrainOn()
    {
        Assert.Contains(new DataSection(DatasetKind.Synthetic, Source: "x.csv").Validate(), error => error.Field == "data.source");
        Assert.Contains(new DataSection(Source: "x.csv", TestFraction: 0.5, ValidationFraction: 0.5).Validate(), error => error.Field == "data.validationFraction");
        Assert.Contains(new DataSection(Source: "x.csv", Test: "t.csv", TestFraction: 0.2).Validate(), error => error.Field == "data.testFraction");
        Assert.Contains(new DataSection(Source: "x.csv", Label: "y", Categorical: ["y"]).Validate(), error => error.Field == "data.categorical[0]");
    }

    [Fact]
    public void Resolved_FillsTheBuiltInTheTaskAndTheFractions()
    {
        DataSection builtIn = new DataSection().Resolved();
        DataSection own = new DataSection(Source: "x.csv").Resolved();
        DataSection withTest = new DataSection(Source: "x.csv", Test: "t.csv").Resolved();

        Assert.Equal((DatasetKind.FashionMnist, LearningTask.Classification, (double?)null, (double?)0.1), (builtIn.Dataset!.Value, builtIn.Task!.Value, builtIn.TestFraction, builtIn.ValidationFraction));
        Assert.Equal((0.2, 0.1), (own.TestFraction!.Value, own.ValidationFraction!.Value));
        Assert.Null(withTest.TestFraction);
    }

    [Theory]
    [InlineData(LearningTask.Classification, MonitorMetric.Accuracy, MonitorMode.Max)]
    [InlineData(LearningTask.Binary, MonitorMetric.Accuracy, MonitorMode.Max)]
    [InlineData(LearningTask.Regression, MonitorMetric.Rmse, MonitorMode.Min)]
    public void TheMonitoredMetric_FollowsTheTask_AndItsModeTheMetric(LearningTask task, MonitorMetric metric, MonitorMode mode)
    {
        TrainingSpecification specification = TrainingSpecification.Create(data: new DataSection(Source: "x.csv", Task: task)).GetValueOrThrow();

        Assert.Equal(metric, specification.Evaluation.Metric);
        Assert.Equal(mode, specification.Evaluation.Mode);
    }

    [Theory]
    [InlineData(MonitorMetric.Auc, MonitorMode.Max)]
    [InlineData(MonitorMetric.R2, MonitorMode.Max)]
    [InlineData(MonitorMetric.Mae, MonitorMode.Min)]
    [InlineData(MonitorMetric.Loss, MonitorMode.Min)]
    public void EachMetric_ImprovesInItsOwnDirection(MonitorMetric metric, MonitorMode mode) => Assert.Equal(mode, MonitorMetrics.DirectionOf(metric));

    [Theory]
    [InlineData(LearningTask.Classification, MonitorMetric.Rmse)]
    [InlineData(LearningTask.Classification, MonitorMetric.Auc)]
    [InlineData(LearningTask.Regression, MonitorMetric.Accuracy)]
    public void AMetricTheTaskDoesNotMeasure_IsRefusedUnderEvaluationMetric(LearningTask task, MonitorMetric metric)
    {
        var result = TrainingSpecification.Create(data: new DataSection(Source: "x.csv", Task: task), evaluation: new EvaluationSection(Metric: metric));

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("evaluation.metric", error.Field);
        Assert.Contains(SpecificationNames.Of(task), error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void ATargetForAFraction_MustBeAtMostOne_ButAnErrorTargetNeedNot()
    {
        Assert.Contains(TrainingSpecification.Create(data: new DataSection(Source: "x.csv", Task: LearningTask.Binary), evaluation: new EvaluationSection(Metric: MonitorMetric.Auc), stopping: new StoppingSection(TargetMetric: 1.5)).Errors,
            error => error.Field == "stopping.targetMetric");
        Assert.Empty(TrainingSpecification.Create(data: new DataSection(Source: "x.csv", Task: LearningTask.Regression), stopping: new StoppingSection(TargetMetric: 2.5)).Errors);
    }

    [Fact]
    public void TheDefaultModel_IsTheCnnForImagesAndTheMlpForEverythingElse()
    {
        Assert.Equal("cnn", ModelSection.DefaultFor(new DataShape([3, 32, 32], 10)).Architecture);
        Assert.Equal("mlp", ModelSection.DefaultFor(new DataShape([30], 2)).Architecture);
        Assert.Equal("mlp", ModelSection.DefaultFor(new DataShape([4, 4], 1)).Architecture);
    }

    [Fact]
    public void AnEvaluation_GivesEachMetricByName_AndNaNForOnesItDidNotMeasure()
    {
        var metrics = new EvaluationMetrics(10, 0.4, 100, new Dictionary<string, double> { ["rmse"] = 1.5, ["r2"] = 0.8 });

        Assert.Equal(1.5, metrics.Value(MonitorMetric.Rmse));
        Assert.Equal(0.4, metrics.Value(MonitorMetric.Loss));
        Assert.True(double.IsNaN(metrics.Value(MonitorMetric.Accuracy)));
        Assert.Null(metrics.AccuracyOrNull());
        Assert.Equal(metrics, metrics with { Scores = new Dictionary<string, double> { ["r2"] = 0.8, ["rmse"] = 1.5 } });
    }

    [Fact]
    public void RegressionRuns_KeepTheLowestRmseAsBest()
    {
        TrainingSpecification specification = TrainingSpecification.Create(data: new DataSection(Source: "x.csv", Task: LearningTask.Regression)).GetValueOrThrow();
        TrainingSession session = Started();

        session.RecordEvaluation(Regression(10, 2.0), specification);
        session.RecordEvaluation(Regression(20, 1.2), specification);
        session.RecordEvaluation(Regression(30, 1.9), specification);

        Assert.Equal(1.2, session.BestMetric);
        Assert.Equal(20, session.BestEvaluation!.StepsDone);
        Assert.Equal(1, session.EvaluationsSinceImprovement);
    }

    [Fact]
    public void RecordTest_OnlyForAFinishedRunWithAModel_RaisesOneEventPerCheckpoint()
    {
        TrainingSession session = Started();
        Assert.Throws<InvalidOperationException>(() => session.RecordTest(EvaluationMetrics.Classification(10, 0.3, 0.9, 100), null));

        session.Complete(StopReason.PlanCompleted);
        session.RecordTest(EvaluationMetrics.Classification(10, 0.3, 0.9, 100), null);

        TestEvaluated tested = Assert.Single(session.Events.OfType<TestEvaluated>());
        Assert.False(tested.OfBest);
        Assert.Equal(0.9, session.TestEvaluation!.AccuracyOrNull());
        Assert.Null(session.BestTestEvaluation);
    }

    private static EvaluationMetrics Regression(long steps, double rmse) =>
        new(steps, rmse * rmse, 100, new Dictionary<string, double> { ["rmse"] = rmse, ["mae"] = rmse / 2, ["r2"] = 1 - rmse });

    private static TrainingSession Started()
    {
        var session = new TrainingSession(RunId.Parse("run-1"));
        session.Start(new TrainingPlan(TotalSteps: 100, StepsPerChunk: 10, Replicas: 1, StepsPerEpoch: 50, BatchSize: 32, TrainExamples: 1600, EvaluationIntervalSteps: 10, CheckpointIntervalSteps: 10), CheckpointReference.Initial(RunId.Parse("run-1")), DateTime.UnixEpoch);
        for (int round = 1; round <= 3; round++)
        {
            session.RecordRound(new RoundMetrics(round, round * 10, 1, 1, 320, 1), CheckpointReference.ForReplica(RunId.Parse("run-1"), round, 0));
        }

        return session;
    }
}
