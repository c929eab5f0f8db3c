using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

/// <summary>How a run that starts from another run's checkpoint is pinned at submission, and refused when it cannot be.</summary>
public class InitialRunPinningTests
{
    private static readonly TrainingSpecification Source = TrainingSpecification.Create(
        data: new DataSection(Source: "tables/iris.csv", Label: "species").Resolved(),
        model: new ModelSection("mlp", new Dictionary<string, double> { ["hiddenUnits"] = 32 }),
        optimizer: new OptimizerSection(OptimizerKind.Sgd, LearningRate: 0.05),
        training: new TrainingSection(MaxSteps: 200, BatchSize: 16, Seed: 7)).GetValueOrThrow();

    private readonly RecordingRunStarter _starter = new();
    private readonly FakeRunCheckpoints _runs = new();

    private TrainModelUseCase UseCase => new(_starter, TimeProvider.System, new FakeDatasetCatalog(), new FakeModelCatalog(), _runs);

    [Fact]
    public async Task ARequestNamingOnlyTheSourceRun_TakesItsModelAndData_AndPinsTheCheckpointItChose()
    {
        _runs.Found = RunCheckpointLookup.Found(new CheckpointReference(RunId.Parse("source-run"), "round-000004/merged"), Source);

        StartTrainingResult result = await UseCase.StartAsync(new TrainingRequest
        {
            Model = new ModelSection(InitFrom: new InitialWeights(Run: "source-run", Checkpoint: CheckpointChoice.Best), Freeze: ["fc1"]),
        });

        Assert.True(result.Started, string.Join("; ", result.Errors));
        Assert.Equal((RunId.Parse("source-run"), CheckpointChoice.Best), Assert.Single(_runs.Asked));
        ModelSection model = Assert.Single(_starter.Scheduled).Specification.Model;
        Assert.Equal("mlp", model.Architecture);
        Assert.Equal(32, model.Parameters!["hiddenUnits"]);
        Assert.Equal("round-000004/merged", model.InitFrom!.CheckpointName);
        Assert.Equal(["fc1"], model.Freeze!);
        Assert.Equal("tables/iris.csv", _starter.Scheduled[0].Specification.Data.Source);
    }

    [Fact]
    public async Task ARequestWithItsOwnModelAndData_KeepsThem()
    {
        _runs.Found = RunCheckpointLookup.Found(new CheckpointReference(RunId.Parse("source-run"), "initial"), Source);

        StartTrainingResult result = await UseCase.StartAsync(new TrainingRequest
        {
            Data = new DataSection(DatasetKind.Synthetic),
            Model = new ModelSection("cnn", InitFrom: new InitialWeights(Run: "source-run")),
        });

        Assert.True(result.Started, string.Join("; ", result.Errors));
        TrainingSpecification scheduled = Assert.Single(_starter.Scheduled).Specification;
        Assert.Equal("cnn", scheduled.Model.Architecture);
        Assert.Equal(DatasetKind.Synthetic, scheduled.Data.Dataset);
        Assert.Equal("initial", scheduled.Model.InitFrom!.CheckpointName);
    }

    [Fact]
    public async Task ARequestWithTheSourcesRecipeButALongerTotal_ContinuesIt_WhileAnyOtherChangeMakesANewRun()
    {
        _runs.Found = RunCheckpointLookup.Found(new CheckpointReference(RunId.Parse("source-run"), "round-000002/replica-00"), Source);
        var longer = new TrainingRequest { Model = new ModelSection(InitFrom: new InitialWeights(Run: "source-run")), Training = Source.Training with { MaxSteps = 400 } };

        await UseCase.StartAsync(longer);
        await UseCase.StartAsync(longer with { Optimizer = Source.Optimizer with { LearningRate = 0.01 } });
        await UseCase.StartAsync(longer with { Model = longer.Model with { Freeze = ["fc1"] } });
        await UseCase.StartAsync(longer with { Training = Source.Training with { MaxSteps = 400, BatchSize = 32 } });
        await UseCase.StartAsync(longer with { Model = new ModelSection(InitFrom: new InitialWeights(Run: "source-run", Checkpoint: CheckpointChoice.Best)) });

        Assert.Equal([true, false, false, false, false], _starter.Scheduled.Select(input => input.Specification.Model.InitFrom!.IsContinuation()));
        Assert.Equal(400, _starter.Scheduled[0].Specification.Training.MaxSteps);
        Assert.Equal(Source.Optimizer, _starter.Scheduled[0].Specification.Optimizer);
    }

    [Fact]
    public async Task ASourceRunThatDoesNotExist_IsABadRequest_AndOneWithoutTheCheckpointAConflict_SchedulingNothing()
    {
        var start = new TrainingRequest { Model = new ModelSection(InitFrom: new InitialWeights(Run: "elsewhere")) };

        StartTrainingResult unknown = await UseCase.StartAsync(start);
        _runs.Found = RunCheckpointLookup.Missing("Running");
        StartTrainingResult running = await UseCase.StartAsync(start);

        Assert.False(unknown.Conflict);
        Assert.Equal("model.initFrom.run", Assert.Single(unknown.Errors).Field);
        Assert.Contains("no run is named 'elsewhere'", unknown.Errors[0].Rule, StringComparison.Ordinal);
        Assert.True(running.Conflict);
        Assert.Contains("is Running and has no final checkpoint", Assert.Single(running.Errors).Rule, StringComparison.Ordinal);
        Assert.Empty(_starter.Scheduled);
    }

    [Fact]
    public async Task AMalformedInitFrom_IsLeftToTheValidator_WithTheRequestsOtherErrors()
    {
        StartTrainingResult result = await UseCase.StartAsync(new TrainingRequest
        {
            Model = new ModelSection(InitFrom: new InitialWeights(Run: "a-run", File: "w.pt")),
            Training = new TrainingSection(BatchSize: 0),
        });

        Assert.Empty(_runs.Asked);
        Assert.Equal(["model.initFrom.file", "training.batchSize"], result.Errors.Select(error => error.Field).Order(StringComparer.Ordinal));
    }

    private sealed class FakeRunCheckpoints : IRunCheckpoints
    {
        public RunCheckpointLookup Found { get; set; } = RunCheckpointLookup.NoSuchRun;

        public List<(RunId Run, CheckpointChoice Which)> Asked { get; } = [];

        public Task<RunCheckpointLookup> FindAsync(RunId run, CheckpointChoice which, CancellationToken cancellationToken = default)
        {
            Asked.Add((run, which));
            return Task.FromResult(Found);
        }
    }
}
