using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Domain.Tests.TestSessions;

namespace DurableTrainer.Domain.Tests;

/// <summary>The sections of a run specification, each on its own and put together by <see cref="TrainingSpecification"/>.</summary>
public class SpecificationTests
{
    private static string[] Fields(ValidationResult<TrainingSpecification> result) =>
        result.Errors.Select(error => error.Field).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Default_IsValidAndKeepsEveryDefault()
    {
        TrainingSpecification value = TrainingSpecification.Default;

        Assert.Equal(1e-3, value.Optimizer.LearningRate);
        Assert.Equal(OptimizerKind.Adam, value.Optimizer.Name);
        Assert.Equal(64, value.Training.BatchSize);
        Assert.Equal(3, value.Training.Epochs);
        Assert.Null(value.Training.MaxSteps);
        Assert.Equal(42, value.Training.Seed);
        Assert.Equal(ModelSection.DefaultArchitecture, value.Model.Architecture);
        Assert.Equal("cnn", value.Model.Architecture);
        Assert.Equal(DatasetKind.FashionMnist, value.Data.Dataset);
        Assert.Equal(1, value.Replicas.Count);
        Assert.Equal(LearningRateSchedule.Constant, value.Schedule.Name);
        Assert.Equal(MergeStrategy.Average, value.Replicas.Merge);
        Assert.Equal(0, value.Stopping.EarlyStoppingPatience);
        Assert.Equal(3, value.Checkpoints.KeepLast);
        Assert.Equal(1000, value.Evaluation.IntervalSteps);
        Assert.Equal(1000, value.Checkpoints.IntervalSteps);
    }

    [Fact]
    public void Default_IsWhatCreateWithoutSectionsGives()
    {
        ValidationResult<TrainingSpecification> created = TrainingSpecification.Create();

        Assert.True(created.IsValid);
        Assert.Empty(created.Errors);
        Assert.Equal(TrainingSpecification.Default, created.Value);
        Assert.Equal(TrainingSpecification.Default, TrainingSpecification.Default.Validated().GetValueOrThrow());
    }

    [Fact]
    public void EverySection_AtItsDefaults_IsValid()
    {
        Assert.Empty(new DataSection().Validate());
        Assert.Empty(new ModelSection().Validate());
        Assert.Empty(new OptimizerSection().Validate());
        Assert.Empty(new ScheduleSection().Validate());
        Assert.Empty(new TrainingSection().Validate());
        Assert.Empty(new EvaluationSection().Validate());
        Assert.Empty(new StoppingSection().Validate());
        Assert.Empty(new CheckpointSection().Validate());
        Assert.Empty(new ReplicaSection().Validate());
    }

    [Fact]
    public void Create_WithSeveralBadValues_ReportsEveryOneByItsJsonPath()
    {
        var result = TrainingSpecification.Create(
            optimizer: new OptimizerSection(LearningRate: double.NaN),
            training: new TrainingSection(Epochs: 0, BatchSize: 0, GradientClipNorm: -1),
            stopping: new StoppingSection(PlateauFactor: 1.0, TargetMetric: 1.5),
            checkpoints: new CheckpointSection(KeepLast: 0),
            replicas: new ReplicaSection(Count: 17));

        Assert.False(result.IsValid);
        Assert.Null(result.Value);
        Assert.Equal(
            new[]
            {
                "checkpoints.keepLast", "optimizer.learningRate", "replicas.count", "stopping.plateauFactor", "stopping.targetMetric",
                "training.batchSize", "training.epochs", "training.gradientClipNorm",
            },
            Fields(result));
        Assert.All(result.Errors, error => Assert.StartsWith("must", error.Rule, StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => result.GetValueOrThrow());
    }

    [Fact]
    public void Validated_OnAChangedCopy_ReportsTheSameErrorsAsCreate()
    {
        TrainingSpecification changed = TrainingSpecification.Default with
        {
            Training = TrainingSpecification.Default.Training with { BatchSize = 0 },
            Optimizer = TrainingSpecification.Default.Optimizer with { LearningRate = -1 },
        };

        Assert.Equal(new[] { "optimizer.learningRate", "training.batchSize" }, Fields(changed.Validated()));
    }

    [Fact]
    public void Validated_OnAGoodChangedCopy_KeepsTheChange()
    {
        TrainingSpecification changed = TrainingSpecification.Default with { Training = TrainingSpecification.Default.Training with { MaxSteps = 100 } };

        Assert.Equal(100, changed.Validated().GetValueOrThrow().Training.MaxSteps);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(10.5)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void Create_WithLearningRateOutOfRange_NamesOptimizerLearningRate(double learningRate)
    {
        var result = TrainingSpecification.Create(optimizer: new OptimizerSection(LearningRate: learningRate));

        Assert.Equal("optimizer.learningRate", Assert.Single(result.Errors).Field);
    }

    public static TheoryData<string, TrainingSpecification> UndefinedEnumValues => new()
    {
        { "data.dataset", TrainingSpecification.Default with { Data = new DataSection((DatasetKind)42) } },
        { "optimizer.name", TrainingSpecification.Default with { Optimizer = new OptimizerSection((OptimizerKind)42) } },
        { "schedule.name", TrainingSpecification.Default with { Schedule = new ScheduleSection((LearningRateSchedule)42) } },
        { "evaluation.metric", TrainingSpecification.Default with { Evaluation = new EvaluationSection(Metric: (MonitorMetric)42) } },
        { "evaluation.mode", TrainingSpecification.Default with { Evaluation = new EvaluationSection(Mode: (MonitorMode)42) } },
        { "replicas.merge", TrainingSpecification.Default with { Replicas = new ReplicaSection(Merge: (MergeStrategy)42) } },
    };

    [Theory]
    [MemberData(nameof(UndefinedEnumValues))]
    public void Validated_WithAnUndefinedEnumValue_NamesTheFieldAndListsTheSpelledNames(string field, TrainingSpecification specification)
    {
        ValidationError error = Assert.Single(specification.Validated().Errors);

        Assert.Equal(field, error.Field);
        Assert.StartsWith("must be one of ", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithAnUndefinedOptimizer_ListsTheOptimizersAsJsonSpellsThem()
    {
        var result = TrainingSpecification.Create(optimizer: new OptimizerSection((OptimizerKind)42));

        Assert.Equal(new ValidationError("optimizer.name", "must be one of adam, adamw, sgd"), Assert.Single(result.Errors));
    }

    [Fact]
    public void Create_NesterovWithAdam_IsRefused()
    {
        var result = TrainingSpecification.Create(optimizer: new OptimizerSection(OptimizerKind.Adam, Nesterov: true));

        Assert.Equal("optimizer.nesterov", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Create_NesterovWithSgdAndMomentum_IsAccepted() =>
        Assert.True(TrainingSpecification.Create(optimizer: new OptimizerSection(OptimizerKind.Sgd, Momentum: 0.9, Nesterov: true)).IsValid);

    [Theory]
    [InlineData(MonitorMetric.Accuracy, MonitorMode.Max)]
    [InlineData(MonitorMetric.Loss, MonitorMode.Min)]
    public void Create_WithoutMonitorMode_TakesTheMetricsNaturalDirection(MonitorMetric metric, MonitorMode expected)
    {
        Assert.Null(new EvaluationSection(Metric: metric).Mode);
        Assert.Equal(expected, new EvaluationSection(Metric: metric).ResolvedMode());

        var value = TrainingSpecification.Create(evaluation: new EvaluationSection(Metric: metric)).GetValueOrThrow();

        // The stored specification says what was used.
        Assert.Equal(expected, value.Evaluation.Mode);
    }

    [Fact]
    public void Create_WithAGivenMonitorMode_KeepsIt()
    {
        var value = TrainingSpecification.Create(evaluation: new EvaluationSection(Metric: MonitorMetric.Loss, Mode: MonitorMode.Max)).GetValueOrThrow();

        Assert.Equal(MonitorMode.Max, value.Evaluation.Mode);
        Assert.Equal(MonitorMode.Max, value.Evaluation.ResolvedMode());
    }

    [Fact]
    public void IsImprovement_RespectsModeAndMinDelta()
    {
        var max = Spec().Evaluation;
        var min = Spec(evaluation: new EvaluationSection(Metric: MonitorMetric.Loss)).Evaluation;

        Assert.True(max.IsImprovement(0.9, null));
        Assert.True(max.IsImprovement(0.9, 0.8));
        Assert.False(max.IsImprovement(0.85, 0.8, minDelta: 0.1));
        Assert.True(min.IsImprovement(0.2, 0.3));
        Assert.False(min.IsImprovement(0.4, 0.3));
        Assert.False(min.IsImprovement(0.25, 0.3, minDelta: 0.1));
    }

    [Fact]
    public void MonitoredValue_AndReaches_FollowTheMetric()
    {
        var accuracy = new EvaluationSection(Metric: MonitorMetric.Accuracy);
        var loss = new EvaluationSection(Metric: MonitorMetric.Loss);

        Assert.Equal(0.9, accuracy.MonitoredValue(EvaluationMetrics.Classification(0, 0.3, 0.9, 10)));
        Assert.Equal(0.3, loss.MonitoredValue(EvaluationMetrics.Classification(0, 0.3, 0.9, 10)));
        Assert.True(accuracy.Reaches(0.9, 0.9));
        Assert.False(accuracy.Reaches(0.89, 0.9));
        Assert.True(loss.Reaches(0.2, 0.25));
        Assert.False(loss.Reaches(0.3, 0.25));
    }

    [Fact]
    public void Create_MaxStepsBelowTheReplicaCount_IsRefused()
    {
        var result = TrainingSpecification.Create(training: new TrainingSection(MaxSteps: 3), replicas: new ReplicaSection(Count: 4));

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("training.maxSteps", error.Field);
        Assert.Contains("replicas.count", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MaxStepsEqualToTheReplicaCount_IsAccepted() =>
        Assert.True(TrainingSpecification.Create(training: new TrainingSection(MaxSteps: 4), replicas: new ReplicaSection(Count: 4)).IsValid);

    [Fact]
    public void Create_WithTooManyReplicas_ReportsTheReplicaCountOnlyNotMaxSteps()
    {
        var result = TrainingSpecification.Create(training: new TrainingSection(MaxSteps: 3), replicas: new ReplicaSection(Count: ReplicaSection.MaxReplicas + 1));

        Assert.Equal("replicas.count", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Create_MinLearningRateAboveTheLearningRate_IsRefused()
    {
        var result = TrainingSpecification.Create(optimizer: new OptimizerSection(LearningRate: 0.01), stopping: new StoppingSection(MinLearningRate: 0.02));

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("stopping.minLearningRate", error.Field);
        Assert.Contains("optimizer.learningRate", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.005)]
    [InlineData(0.01)]
    public void Create_MinLearningRateUpToTheLearningRate_IsKept(double minLearningRate)
    {
        var value = TrainingSpecification.Create(optimizer: new OptimizerSection(LearningRate: 0.01), stopping: new StoppingSection(MinLearningRate: minLearningRate)).GetValueOrThrow();

        Assert.Equal(minLearningRate, value.Stopping.MinLearningRate);
    }

    [Theory]
    [InlineData(-1e-9)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Create_MinLearningRateNegativeOrNotFinite_IsRefused(double minLearningRate)
    {
        var result = TrainingSpecification.Create(stopping: new StoppingSection(MinLearningRate: minLearningRate));

        Assert.Equal("stopping.minLearningRate", Assert.Single(result.Errors).Field);
    }

    [Theory]
    [InlineData(1e-3, 1e-6)]
    [InlineData(1e-6, 1e-6)]
    [InlineData(1e-7, 1e-7)]
    public void Create_WithoutMinLearningRate_TakesTheSmallerOfTheDefaultAndTheLearningRate(double learningRate, double expected)
    {
        Assert.Equal(expected, new StoppingSection().ResolvedMinLearningRate(learningRate));

        var value = TrainingSpecification.Create(optimizer: new OptimizerSection(LearningRate: learningRate)).GetValueOrThrow();

        Assert.Equal(expected, value.Stopping.MinLearningRate);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    public void Create_AnAccuracyTargetOutsideZeroToOne_IsRefused(double target)
    {
        var result = TrainingSpecification.Create(stopping: new StoppingSection(TargetMetric: target));

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("stopping.targetMetric", error.Field);
        Assert.Contains("accuracy", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1e-9)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Create_AnAccuracyTargetInZeroToOne_IsAccepted(double target) =>
        Assert.True(TrainingSpecification.Create(stopping: new StoppingSection(TargetMetric: target)).IsValid);

    [Theory]
    [InlineData(1.5)]
    [InlineData(0.0)]
    public void Create_ALossTargetAboveOneOrAtZero_IsAccepted(double target) =>
        Assert.True(TrainingSpecification.Create(evaluation: new EvaluationSection(Metric: MonitorMetric.Loss), stopping: new StoppingSection(TargetMetric: target)).IsValid);

    [Fact]
    public void Create_ANonFiniteTarget_IsRefusedOnceWhateverTheMetric()
    {
        var result = TrainingSpecification.Create(stopping: new StoppingSection(TargetMetric: double.NaN));

        Assert.Equal("stopping.targetMetric", Assert.Single(result.Errors).Field);
    }

    public static TheoryData<string, TrainingSpecification> ModelAndAccumulationViolations => new()
    {
        { "model.architecture", TrainingSpecification.Default with { Model = new ModelSection("MLP") } },
        { "model.architecture", TrainingSpecification.Default with { Model = new ModelSection("") } },
        { "model.architecture", TrainingSpecification.Default with { Model = new ModelSection(new string('a', ModelSection.MaxNameLength + 1)) } },
        { "model.layers", TrainingSpecification.Default with { Model = new ModelSection("mlp", Layers: [new LayerSpec("linear", Units: 10)]) } },
        { "model.layers", TrainingSpecification.Default with { Model = new ModelSection(Layers: []) } },
        { "model.parameters", TrainingSpecification.Default with { Model = new ModelSection(Parameters: new Dictionary<string, double> { ["hiddenUnits"] = 64 }, Layers: [new LayerSpec("flatten")]) } },
        { "model.parameters.dropout", TrainingSpecification.Default with { Model = new ModelSection("mlp", new Dictionary<string, double> { ["dropout"] = double.NaN }) } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection("mlp", File: "net.pt") } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: "../net.pt") } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: "models/net.pt") } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: "c:\\net.pt") } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: ".hidden.pt") } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: "") } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: new string('a', ModelSection.MaxFileNameLength + 1)) } },
        { "model.file", TrainingSpecification.Default with { Model = new ModelSection(File: "net\u0000.pt") } },
        { "model.sha256", TrainingSpecification.Default with { Model = new ModelSection("mlp", Sha256: new string('a', 64)) } },
        { "model.sha256", TrainingSpecification.Default with { Model = new ModelSection(File: "net.pt", Sha256: "ABC") } },
        { "model.sha256", TrainingSpecification.Default with { Model = new ModelSection(File: "net.pt", Sha256: new string('A', 64)) } },
        { "model.parameters", TrainingSpecification.Default with { Model = new ModelSection(Parameters: new Dictionary<string, double> { ["hiddenUnits"] = 64 }, File: "net.pt") } },
        { "training.gradientAccumulationSteps", TrainingSpecification.Default with { Training = new TrainingSection(GradientAccumulationSteps: 0) } },
        { "training.gradientAccumulationSteps", TrainingSpecification.Default with { Training = new TrainingSection(BatchSize: 4096, GradientAccumulationSteps: 17) } },
    };

    [Theory]
    [MemberData(nameof(ModelAndAccumulationViolations))]
    public void Validated_WithABadModelOrAccumulationSetting_NamesThatFieldOnly(string field, TrainingSpecification specification)
    {
        var result = specification.Validated();

        Assert.Equal(field, Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void ModelSection_WithNeitherArchitectureNorLayers_ResolvesToTheDefaultArchitecture()
    {
        Assert.Equal("cnn", new ModelSection().Resolved().Architecture);
        Assert.Equal("mlp", new ModelSection("mlp").Resolved().Architecture);
        Assert.Null(new ModelSection(Layers: [new LayerSpec("flatten")]).Resolved().Architecture);
        Assert.Equal("cnn", TrainingSpecification.Create(model: new ModelSection()).GetValueOrThrow().Model.Architecture);
    }

    [Fact]
    public void ModelSection_WithAFile_IsATorchScriptModelAndKeepsNoArchitecture()
    {
        var model = new ModelSection(File: "my_net-v2.pt", Sha256: new string('0', 64));

        Assert.Empty(model.Validate());
        Assert.True(model.IsTorchScript());
        Assert.Equal("torchscript", model.KindName());
        Assert.Null(model.Resolved().Architecture);
        Assert.Equal("layers", new ModelSection(Layers: [new LayerSpec("flatten")]).KindName());
        Assert.Equal("cnn", new ModelSection().KindName());
    }

    [Fact]
    public void ModelSection_Parameter_ReadsAGivenValueOrTheFallback()
    {
        var model = new ModelSection("mlp", new Dictionary<string, double> { ["hiddenUnits"] = 64 });

        Assert.Equal(64, model.Parameter("hiddenUnits", 256));
        Assert.Equal(1, model.Parameter("hiddenLayers", 1));
        Assert.Equal(256, new ModelSection("mlp").Parameter("hiddenUnits", 256));
    }

    [Fact]
    public void GradientAccumulation_MultipliesTheEffectiveBatchAndShortensTheEpoch()
    {
        var plain = Spec(training: new TrainingSection(Epochs: 1, BatchSize: 32));
        var accumulated = Spec(training: new TrainingSection(Epochs: 1, BatchSize: 32, GradientAccumulationSteps: 4));
        var service = new PureTrainingService();

        Assert.Equal(128, accumulated.Training.EffectiveBatchSize());
        Assert.Equal(1875, service.Plan(plain, 60_000, DefaultStepsPerChunk).StepsPerEpoch);
        Assert.Equal(469, service.Plan(accumulated, 60_000, DefaultStepsPerChunk).StepsPerEpoch);
        Assert.Equal(469, service.Plan(accumulated, 60_000, DefaultStepsPerChunk).TotalSteps);
        Assert.Equal(128, service.Plan(accumulated, 60_000, DefaultStepsPerChunk).BatchSize);
    }

    [Theory]
    [InlineData("FashionMnist", "fashion-mnist")]
    [InlineData("AdamW", "adamw")]
    [InlineData("CosineWithWarmup", "cosine-with-warmup")]
    [InlineData("OuterNesterov", "outer-nesterov")]
    [InlineData("LinearWarmup", "linear-warmup")]
    [InlineData("Sgd", "sgd")]
    [InlineData("Max", "max")]
    public void SpecificationNames_SpellsMembersAsLowerCaseWordsJoinedByHyphens(string member, string expected) =>
        Assert.Equal(expected, SpecificationNames.Of(member));

    [Fact]
    public void SpecificationNames_SpellsEnumValuesAndListsThem()
    {
        Assert.Equal("fashion-mnist", SpecificationNames.Of(DatasetKind.FashionMnist));
        Assert.Equal("adamw", SpecificationNames.Of(OptimizerKind.AdamW));
        Assert.Equal("cosine-with-warmup", SpecificationNames.Of(LearningRateSchedule.CosineWithWarmup));
        Assert.Equal("adam, adamw, sgd", SpecificationNames.Of<OptimizerKind>());
        Assert.Equal("fashion-mnist, synthetic", SpecificationNames.Of<DatasetKind>());
        Assert.Equal("constant, linear-warmup, cosine-with-warmup, step-decay", SpecificationNames.Of<LearningRateSchedule>());
    }

    [Theory]
    [InlineData("fashion-mnist", true, DatasetKind.FashionMnist)]
    [InlineData("Fashion-MNIST", true, DatasetKind.FashionMnist)]
    [InlineData("synthetic", true, DatasetKind.Synthetic)]
    [InlineData("fashionmnist", false, default(DatasetKind))]
    [InlineData("FashionMnist", false, default(DatasetKind))]
    [InlineData("", false, default(DatasetKind))]
    [InlineData(null, false, default(DatasetKind))]
    public void SpecificationNames_TryParse_ReadsTheSpelledNameIgnoringCaseOnly(string? text, bool parses, DatasetKind expected)
    {
        Assert.Equal(parses, SpecificationNames.TryParse(text, out DatasetKind value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void SpecificationNames_EveryValueOfEverySpecificationEnum_ParsesBackFromItsName()
    {
        AssertRoundTrips<DatasetKind>();
        AssertRoundTrips<OptimizerKind>();
        AssertRoundTrips<LearningRateSchedule>();
        AssertRoundTrips<MergeStrategy>();
        AssertRoundTrips<MonitorMetric>();
        AssertRoundTrips<MonitorMode>();

        static void AssertRoundTrips<T>()
            where T : struct, Enum
        {
            foreach (T value in Enum.GetValues<T>())
            {
                Assert.True(SpecificationNames.TryParse(SpecificationNames.Of(value), out T parsed), $"{value} does not parse back");
                Assert.Equal(value, parsed);
            }
        }
    }

    [Fact]
    public void DataShape_EqualsAnotherWithTheSameSizesInADifferentList()
    {
        var shape = new DataShape([1, 28, 28], 10);

        Assert.Equal(new DataShape(new List<int> { 1, 28, 28 }, 10), shape);
        Assert.Equal(new DataShape(new List<int> { 1, 28, 28 }, 10).GetHashCode(), shape.GetHashCode());
        Assert.NotEqual(new DataShape([1, 28, 28], 11), shape);
        Assert.NotEqual(new DataShape([3, 28, 28], 10), shape);
        Assert.Equal("[1, 28, 28] -> 10", shape.ToString());
    }
}
