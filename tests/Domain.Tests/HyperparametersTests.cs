using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Tests;

public class HyperparametersTests
{
    [Fact]
    public void Create_WithDefaults_IsValidAndKeepsEveryValue()
    {
        var value = Hyperparameters.Create(Hyperparameters.Defaults).GetValueOrThrow();

        Assert.Equal(1e-3, value.LearningRate);
        Assert.Equal(64, value.BatchSize);
        Assert.Equal(ModelArchitecture.Cnn, value.Model);
        Assert.Equal(DatasetKind.FashionMnist, value.Dataset);
        Assert.Equal(1, value.Replicas);
        Assert.Equal(LearningRateSchedule.Constant, value.LearningRateSchedule);
        Assert.Equal(MergeStrategy.Average, value.MergeStrategy);
        Assert.Equal(0, value.EarlyStoppingPatience);
        Assert.Equal(3, value.KeepLastCheckpoints);
    }

    [Fact]
    public void Create_WithSeveralBadValues_ReportsEveryOneByField()
    {
        var values = Hyperparameters.Defaults with
        {
            LearningRate = double.NaN,
            BatchSize = 0,
            Epochs = 0,
            Replicas = 17,
            StepsPerChunk = -1,
            TargetMetric = 1.5,
            PlateauFactor = 1.0,
            KeepLastCheckpoints = 0,
            GradientClipNorm = -1,
        };

        var result = Hyperparameters.Create(values);

        Assert.False(result.IsValid);
        Assert.Null(result.Value);
        Assert.Equal(
            new[] { "batchSize", "epochs", "gradientClipNorm", "keepLastCheckpoints", "learningRate", "plateauFactor", "replicas", "stepsPerChunk", "targetMetric" },
            result.Errors.Select(error => error.Field).Order().ToArray());
        Assert.All(result.Errors, error => Assert.StartsWith("must", error.Rule, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(10.5)]
    [InlineData(double.PositiveInfinity)]
    public void Create_WithLearningRateOutOfRange_NamesLearningRate(double learningRate)
    {
        var result = Hyperparameters.Create(Hyperparameters.Defaults with { LearningRate = learningRate, MinLearningRate = 0 });

        Assert.Equal("learningRate", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Create_WithUndefinedEnumValue_NamesTheField()
    {
        var result = Hyperparameters.Create(Hyperparameters.Defaults with { Optimizer = (OptimizerKind)42 });

        Assert.Equal("optimizer", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Create_NesterovWithAdam_IsRefused()
    {
        var result = Hyperparameters.Create(Hyperparameters.Defaults with { Nesterov = true, Optimizer = OptimizerKind.Adam });

        Assert.Equal("nesterov", Assert.Single(result.Errors).Field);
    }

    [Theory]
    [InlineData(MonitorMetric.Accuracy, MonitorMode.Max)]
    [InlineData(MonitorMetric.Loss, MonitorMode.Min)]
    public void Create_WithoutMonitorMode_TakesTheMetricsNaturalDirection(MonitorMetric metric, MonitorMode expected)
    {
        var value = Hyperparameters.Create(Hyperparameters.Defaults with { MonitorMetric = metric }).GetValueOrThrow();

        Assert.Equal(expected, value.MonitorMode);
    }

    [Fact]
    public void IsImprovement_RespectsModeAndMinDelta()
    {
        var max = TestSessions.Valid(Hyperparameters.Defaults);
        var min = TestSessions.Valid(Hyperparameters.Defaults with { MonitorMetric = MonitorMetric.Loss });

        Assert.True(max.IsImprovement(0.9, null));
        Assert.True(max.IsImprovement(0.9, 0.8));
        Assert.False(max.IsImprovement(0.85, 0.8, minDelta: 0.1));
        Assert.True(min.IsImprovement(0.2, 0.3));
        Assert.False(min.IsImprovement(0.4, 0.3));
    }

    [Fact]
    public void Create_MaxStepsBelowTheReplicaCount_IsRefused()
    {
        var result = Hyperparameters.Create(Hyperparameters.Defaults with { MaxSteps = 3, Replicas = 4 });

        Assert.Equal("maxSteps", Assert.Single(result.Errors).Field);
    }

    public static TheoryData<string, HyperparametersBuilder> ModelAndAccumulationViolations => new()
    {
        { "hiddenLayers", Hyperparameters.Defaults with { HiddenLayers = 0 } },
        { "hiddenLayers", Hyperparameters.Defaults with { HiddenLayers = 9 } },
        { "convChannels", Hyperparameters.Defaults with { ConvChannels = 3 } },
        { "dropout", Hyperparameters.Defaults with { Dropout = 1.0 } },
        { "dropout", Hyperparameters.Defaults with { Dropout = -0.1 } },
        { "dropout", Hyperparameters.Defaults with { Dropout = double.NaN } },
        { "gradientAccumulationSteps", Hyperparameters.Defaults with { GradientAccumulationSteps = 0 } },
        { "gradientAccumulationSteps", Hyperparameters.Defaults with { BatchSize = 4096, GradientAccumulationSteps = 17 } },
    };

    [Theory]
    [MemberData(nameof(ModelAndAccumulationViolations))]
    public void Create_WithABadModelOrAccumulationSetting_NamesThatFieldOnly(string field, HyperparametersBuilder values)
    {
        var result = Hyperparameters.Create(values);

        Assert.Equal(field, Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void GradientAccumulation_MultipliesTheEffectiveBatchAndShortensTheEpoch()
    {
        var plain = TestSessions.Valid(Hyperparameters.Defaults with { BatchSize = 32, Epochs = 1 });
        var accumulated = TestSessions.Valid(Hyperparameters.Defaults with { BatchSize = 32, Epochs = 1, GradientAccumulationSteps = 4 });
        var service = new Decisions.PureTrainingService();

        Assert.Equal(128, accumulated.EffectiveBatchSize);
        Assert.Equal(1875, service.Plan(plain, 60_000).StepsPerEpoch);
        Assert.Equal(469, service.Plan(accumulated, 60_000).StepsPerEpoch);
        Assert.Equal(469, service.Plan(accumulated, 60_000).TotalSteps);
        Assert.Equal(128, service.Plan(accumulated, 60_000).BatchSize);
    }
}
