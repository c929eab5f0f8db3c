using System.Reflection;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Tests;

/// <summary>The engine settings: how a run is executed, kept apart from what the run is.</summary>
public class ExecutionSettingsTests
{
    private readonly RecordingRunStarter _starter = new();

    private TrainModelUseCase UseCase => new(_starter, TimeProvider.System, new FakeDatasetCatalog(), new FakeModelCatalog());

    private static string[] Fields(IEnumerable<Domain.Specification.ValidationError> errors) =>
        errors.Select(error => error.Field).Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData("StepsPerChunk")]
    [InlineData("RoundsPerExecution")]
    [InlineData("ActivityMaxAttempts")]
    [InlineData("ActivityFirstRetrySeconds")]
    public void AnOldEngineSetting_LivesInTheExecutionSettingsAndInNoSectionOfTheSpecification(string setting)
    {
        Assert.NotNull(typeof(ExecutionSettings).GetProperty(setting));
        Type[] sections = typeof(TrainingSpecification).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(property => property.PropertyType)
            .Where(type => type.Namespace == typeof(TrainingSpecification).Namespace)
            .ToArray();
        Assert.Equal(9, sections.Length);
        Assert.All(sections, section => Assert.Null(section.GetProperty(setting)));
    }

    [Fact]
    public void Defaults_AreTheEngineDefaultsAndValid()
    {
        ExecutionSettings settings = ExecutionSettings.Default;

        Assert.Equal((250, 50, 3, 5.0), (settings.StepsPerChunk, settings.RoundsPerExecution, settings.ActivityMaxAttempts, settings.ActivityFirstRetrySeconds));
        Assert.Equal(new ExecutionSettings(), settings);
        Assert.Empty(settings.Validate());
    }

    [Fact]
    public void Validate_WithEveryValueBad_ReportsEachUnderExecution()
    {
        var settings = new ExecutionSettings(StepsPerChunk: 0, RoundsPerExecution: 0, ActivityMaxAttempts: 0, ActivityFirstRetrySeconds: 0);

        Assert.Equal(
            new[] { "execution.activityFirstRetrySeconds", "execution.activityMaxAttempts", "execution.roundsPerExecution", "execution.stepsPerChunk" },
            Fields(settings.Validate()));
    }

    [Theory]
    [InlineData(0, 50, 3, 5.0, "execution.stepsPerChunk")]
    [InlineData(100_001, 50, 3, 5.0, "execution.stepsPerChunk")]
    [InlineData(250, 10_001, 3, 5.0, "execution.roundsPerExecution")]
    [InlineData(250, 50, 11, 5.0, "execution.activityMaxAttempts")]
    [InlineData(250, 50, 3, 0.001, "execution.activityFirstRetrySeconds")]
    [InlineData(250, 50, 3, 3601.0, "execution.activityFirstRetrySeconds")]
    [InlineData(250, 50, 3, double.NaN, "execution.activityFirstRetrySeconds")]
    public void Validate_WithOneValueOutOfRange_NamesThatSettingOnly(int stepsPerChunk, int roundsPerExecution, int attempts, double firstRetrySeconds, string field)
    {
        var settings = new ExecutionSettings(stepsPerChunk, roundsPerExecution, attempts, firstRetrySeconds);

        Assert.Equal(field, Assert.Single(settings.Validate()).Field);
    }

    [Theory]
    [InlineData(1, 1, 1, 0.01)]
    [InlineData(100_000, 10_000, 10, 3600.0)]
    public void Validate_AtTheBounds_Accepts(int stepsPerChunk, int roundsPerExecution, int attempts, double firstRetrySeconds) =>
        Assert.Empty(new ExecutionSettings(stepsPerChunk, roundsPerExecution, attempts, firstRetrySeconds).Validate());

    [Theory]
    [InlineData(0.5)]
    [InlineData(1800.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_WithAChunkTimeOutOfRange_NamesChunkSeconds(double seconds) =>
        Assert.Equal("execution.chunkSeconds", Assert.Single(new ExecutionSettings(ChunkSeconds: seconds).Validate()).Field);

    [Theory]
    [InlineData(1.0)]
    [InlineData(60.0)]
    [InlineData(1800.0)]
    public void Validate_WithAChunkTimeInRange_Accepts(double seconds) =>
        Assert.Empty(new ExecutionSettings(ChunkSeconds: seconds).Validate());

    [Fact]
    public async Task StartAsync_CarriesTheRequestsExecutionSettingsBesideTheSpecification()
    {
        var execution = new ExecutionSettings(StepsPerChunk: 50, RoundsPerExecution: 7);

        var result = await UseCase.StartAsync(new TrainingRequest { Execution = execution, Training = new TrainingSection(MaxSteps: 200) });

        Assert.True(result.Started);
        TrainingRunInput scheduled = Assert.Single(_starter.Scheduled);
        Assert.Equal(execution, scheduled.Execution);
        Assert.Equal(200, scheduled.Specification.Training.MaxSteps);
    }

    [Fact]
    public async Task StartAsync_WithBadExecutionSettings_ReportsThemWithTheSpecificationsErrorsAndSchedulesNothing()
    {
        var result = await UseCase.StartAsync(new TrainingRequest
        {
            Execution = new ExecutionSettings(StepsPerChunk: 0, ActivityMaxAttempts: 0),
            Training = new TrainingSection(BatchSize: 0),
        });

        Assert.False(result.Started);
        Assert.Equal(new[] { "execution.activityMaxAttempts", "execution.stepsPerChunk", "training.batchSize" }, Fields(result.Errors));
        Assert.Empty(_starter.Scheduled);
    }
}
