using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.UseCases;

namespace DurableTrainer.Application.Tests;

public class TrainModelUseCaseTests
{
    private readonly RecordingScheduler _scheduler = new();

    private TrainModelUseCase UseCase => new(_scheduler, TimeProvider.System);

    [Fact]
    public async Task StartAsync_WithBadValues_ReturnsEveryErrorAndSchedulesNothing()
    {
        var result = await UseCase.StartAsync(new TrainingRequest { BatchSize = 0, Optimizer = "rmsprop", RunId = "../etc" });

        Assert.False(result.Started);
        Assert.Equal(new[] { "batchSize", "optimizer", "runId" }, result.Errors.Select(error => error.Field).Order().ToArray());
        Assert.Empty(_scheduler.Scheduled);
    }

    [Fact]
    public async Task StartAsync_WithoutRunId_GeneratesASafeOneAndSchedulesTheNormalizedRequest()
    {
        var result = await UseCase.StartAsync(new TrainingRequest { Epochs = 1, Model = "MLP" });

        Assert.True(result.Started);
        Assert.True(TrainingRequestMapper.IsValidRunId(result.RunId));
        var scheduled = Assert.Single(_scheduler.Scheduled);
        Assert.Equal(result.RunId, scheduled.RunId);
        Assert.Equal("mlp", scheduled.Request.Model);
        Assert.Equal(64, scheduled.Request.BatchSize);
        Assert.Equal("fashion-mnist", scheduled.Request.Dataset);
    }

    [Fact]
    public async Task StartAsync_WhenTheRunIdExists_ReportsAConflict()
    {
        _scheduler.Accept = false;

        var result = await UseCase.StartAsync(new TrainingRequest { RunId = "taken" });

        Assert.True(result.Conflict);
        Assert.False(result.Started);
        Assert.Equal("runId", Assert.Single(result.Errors).Field);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("run-2024-01")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890ab")]
    public void IsValidRunId_AcceptsLowerCaseDigitsAndInnerHyphens(string runId) =>
        Assert.True(TrainingRequestMapper.IsValidRunId(runId));

    [Theory]
    [InlineData("")]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    [InlineData("Upper")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a\nb")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890abc")]
    public void IsValidRunId_RejectsAnythingUnsafeForBlobNamesAndUrls(string runId) =>
        Assert.False(TrainingRequestMapper.IsValidRunId(runId));
}
