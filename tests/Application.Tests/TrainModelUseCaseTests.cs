using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

public class TrainModelUseCaseTests
{
    private readonly RecordingRunStarter _starter = new();
    private readonly FakeDatasetCatalog _datasets = new();
    private FakeModelCatalog _models = new();

    private TrainModelUseCase UseCase => new(_starter, TimeProvider.System, _datasets, _models);

    private static string[] Fields(StartTrainingResult result) => result.Errors.Select(error => error.Field).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task StartAsync_WithBadValues_ReturnsEveryErrorByItsJsonPathAndSchedulesNothing()
    {
        var result = await UseCase.StartAsync(new TrainingRequest
        {
            RunId = "../etc",
            Training = new TrainingSection(BatchSize: 0),
            Optimizer = new OptimizerSection((OptimizerKind)42),
        });

        Assert.False(result.Started);
        Assert.False(result.Conflict);
        Assert.Null(result.RunId);
        Assert.Equal(new[] { "optimizer.name", "runId", "training.batchSize" }, Fields(result));
        Assert.Empty(_starter.Scheduled);
    }

    [Fact]
    public async Task StartAsync_WithBadValuesInSeveralSections_ReportsTheCrossSectionRulesToo()
    {
        var result = await UseCase.StartAsync(new TrainingRequest
        {
            Training = new TrainingSection(MaxSteps: 1),
            Replicas = new ReplicaSection(Count: 2),
            Optimizer = new OptimizerSection(LearningRate: 0.01),
            Stopping = new StoppingSection(MinLearningRate: 0.1, TargetMetric: 2),
        });

        Assert.Equal(new[] { "stopping.minLearningRate", "stopping.targetMetric", "training.maxSteps" }, Fields(result));
        Assert.Empty(_starter.Scheduled);
    }

    [Fact]
    public async Task StartAsync_WithoutRunId_GeneratesASafeOneAndSchedulesTheResolvedSpecification()
    {
        var result = await UseCase.StartAsync(new TrainingRequest { Training = new TrainingSection(Epochs: 1), Model = new ModelSection("mlp") });

        Assert.True(result.Started);
        Assert.True(RunId.IsValid(result.RunId?.Value));
        var scheduled = Assert.Single(_starter.Scheduled);
        Assert.Equal(result.RunId, scheduled.RunId);
        Assert.Null(scheduled.Resume);
        TrainingSpecification specification = scheduled.Specification;
        Assert.Equal("mlp", specification.Model.Architecture);
        Assert.Equal(1, specification.Training.Epochs);
        Assert.Equal(64, specification.Training.BatchSize);
        Assert.Equal(DatasetKind.FashionMnist, specification.Data.Dataset);
        // Defaults that depend on other values are resolved, so the stored input says what was used.
        Assert.Equal(MonitorMode.Max, specification.Evaluation.Mode);
        Assert.Equal(1e-6, specification.Stopping.MinLearningRate);
        Assert.Equal(ExecutionSettings.Default, scheduled.Execution);
    }

    [Fact]
    public async Task StartAsync_WithoutAModelSection_ChecksTheDefaultArchitectureAgainstTheDatasShape()
    {
        var result = await UseCase.StartAsync(new TrainingRequest { Data = new DataSection(DatasetKind.Synthetic) });

        Assert.True(result.Started);
        (ModelSection model, DataShape shape) = Assert.Single(_models.Checks);
        Assert.Equal(ModelSection.DefaultArchitecture, model.Architecture);
        Assert.Equal(new DataShape([1, 28, 28], 10), shape);
        Assert.Equal(DatasetKind.Synthetic, Assert.Single(_datasets.Described).Dataset);
        Assert.Equal(DatasetKind.Synthetic, Assert.Single(_starter.Scheduled).Specification.Data.Dataset);
    }

    [Fact]
    public async Task StartAsync_SchedulesTheModelAsTheCatalogResolvedIt()
    {
        var resolved = new Dictionary<string, double> { ["hiddenUnits"] = 256, ["hiddenLayers"] = 1 };
        _models = new FakeModelCatalog { Resolve = section => section with { Parameters = resolved } };

        var result = await UseCase.StartAsync(new TrainingRequest { Model = new ModelSection("mlp") });

        Assert.True(result.Started);
        ModelSection scheduled = Assert.Single(_starter.Scheduled).Specification.Model;
        Assert.Equal("mlp", scheduled.Architecture);
        Assert.Same(resolved, scheduled.Parameters);
    }

    [Fact]
    public async Task StartAsync_WhenTheModelCatalogRefusesTheModel_ReturnsItsErrorsAndSchedulesNothing()
    {
        _models = new FakeModelCatalog { Errors = [new ValidationError("model.parameters.hiddenUnits", "must be between 8 and 4096")] };

        var result = await UseCase.StartAsync(new TrainingRequest
        {
            Model = new ModelSection("mlp", new Dictionary<string, double> { ["hiddenUnits"] = 2 }),
            Training = new TrainingSection(BatchSize: 0),
        });

        Assert.False(result.Started);
        Assert.Equal(new[] { "model.parameters.hiddenUnits", "training.batchSize" }, Fields(result));
        Assert.Single(_models.Checks);
        Assert.Empty(_starter.Scheduled);
    }

    [Fact]
    public async Task StartAsync_WithAModelSectionThatIsWrongOnItsOwn_ReportsItOnceWithoutAskingTheCatalog()
    {
        var result = await UseCase.StartAsync(new TrainingRequest { Model = new ModelSection("MLP") });

        Assert.False(result.Started);
        Assert.Equal("model.architecture", Assert.Single(result.Errors).Field);
        Assert.Empty(_models.Checks);
        Assert.Empty(_starter.Scheduled);
    }

    [Fact]
    public async Task StartAsync_WithAnUnknownDataset_ReportsItOnceWithoutCheckingTheModel()
    {
        var result = await UseCase.StartAsync(new TrainingRequest { Data = new DataSection((DatasetKind)42) });

        Assert.False(result.Started);
        Assert.Equal("data.dataset", Assert.Single(result.Errors).Field);
        Assert.Empty(_models.Checks);
        Assert.Empty(_starter.Scheduled);
    }

    [Fact]
    public async Task StartAsync_WhenTheRunIdExists_ReportsAConflict()
    {
        _starter.Accept = false;

        var result = await UseCase.StartAsync(new TrainingRequest { RunId = "taken" });

        Assert.True(result.Conflict);
        Assert.False(result.Started);
        Assert.Equal("taken", result.RunId?.Value);
        Assert.Equal("runId", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public async Task Validate_TheRequestAValidatedRunStandsFor_GivesTheSameRun()
    {
        (ValidatedRequest? first, _) = await TrainingRequestValidator.ValidateAsync(
            new TrainingRequest { Training = new TrainingSection(MaxSteps: 100), Execution = new ExecutionSettings(StepsPerChunk: 20) }, _datasets, _models);

        (ValidatedRequest? again, IReadOnlyList<ValidationError> errors) = await TrainingRequestValidator.ValidateAsync(
            TrainingRequest.From(RunId.Parse("run-1"), first!.Specification, first.Execution), _datasets, _models);

        Assert.Empty(errors);
        Assert.Equal(first, again);
    }
}
