using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Tests;

public class HyperparametersTests
{
    [Fact]
    public void Create_WithDefaults_IsValidAndKeepsEveryValue()
    {
        var result = Hyperparameters.Create(Hyperparameters.Defaults);

        Assert.True(result.IsValid);
        var value = result.GetValueOrThrow();
        Assert.Equal(1e-3, value.LearningRate);
        Assert.Equal(64, value.BatchSize);
        Assert.Equal(ModelArchitecture.Cnn, value.Model);
        Assert.Equal(DatasetKind.FashionMnist, value.Dataset);
        Assert.Equal(1, value.Replicas);
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
            TargetAccuracy = 1.5,
        };

        var result = Hyperparameters.Create(values);

        Assert.False(result.IsValid);
        Assert.Null(result.Value);
        Assert.Equal(
            new[] { "batchSize", "epochs", "learningRate", "replicas", "stepsPerChunk", "targetAccuracy" },
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
        var result = Hyperparameters.Create(Hyperparameters.Defaults with { LearningRate = learningRate });

        var error = Assert.Single(result.Errors);
        Assert.Equal("learningRate", error.Field);
    }

    [Fact]
    public void Create_WithUndefinedEnumValue_NamesTheField()
    {
        var result = Hyperparameters.Create(Hyperparameters.Defaults with { Optimizer = (OptimizerKind)42 });

        Assert.Equal("optimizer", Assert.Single(result.Errors).Field);
    }
}
