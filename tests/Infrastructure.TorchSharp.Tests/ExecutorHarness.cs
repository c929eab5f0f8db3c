using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>What executor tests share: a real TorchSharp executor, one thread, the synthetic dataset, an in-memory store.</summary>
internal sealed class ExecutorHarness : IDisposable
{
    public ExecutorHarness(int trainExamples = 1024, int testExamples = 500, int shardsInMemory = 4)
    {
        var options = new TorchSharpExecutorOptions { Threads = 1, SyntheticTrainExamples = trainExamples, SyntheticTestExamples = testExamples, ShardsInMemory = shardsInMemory };
        Datasets = new DatasetProvider(options, DataFiles);
        Models = ModelRegistry.BuiltIn.WithStores(Files, Store);
        Executor = new TorchSharpTrainingExecutor(Store, Datasets, options, NullLogger<TorchSharpTrainingExecutor>.Instance, Models);
    }

    /// <summary>The dataset store users' data is read from.</summary>
    public TestSupport.InMemoryDatasetStore DataFiles { get; } = new();

    /// <summary>The model store TorchScript files are read from.</summary>
    public TestSupport.InMemoryModelFileStore Files { get; } = new();

    /// <summary>The built-in registry, reading model files from <see cref="Files"/> and the runs a run starts from in <see cref="Store"/>.</summary>
    public ModelRegistry Models { get; }

    public InMemoryCheckpointStore Store { get; } = new();

    public DatasetProvider Datasets { get; }

    public TorchSharpTrainingExecutor Executor { get; }

    public async Task<CheckpointReference> InitializeAsync(string runId, TrainingRecipe recipe) =>
        (await Executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse(runId)), recipe))).Checkpoint;

    public Task<ChunkResult> ChunkAsync(TrainingRecipe recipe, CheckpointReference start, string output, long before, int steps, int replica = 0, int replicas = 1, ForeseenEvaluations? evaluate = null) =>
        Executor.RunChunkAsync(new ChunkCommand(start, new CheckpointReference(start.RunId, output), replica, replicas, before, steps, 1.0, recipe) { Evaluate = evaluate ?? ForeseenEvaluations.None });

    public void Dispose() => Datasets.Dispose();
}

/// <summary>Recipes as a run's specification gives them (synthetic data), and the models they resolve to.</summary>
internal static class TestRecipes
{
    /// <summary>The synthetic dataset's shape: 1×28×28 images of 10 classes.</summary>
    public static readonly DataShape Synthetic = new([1, 28, 28], 10);

    public static TrainingRecipe Recipe(ModelSection model, OptimizerSection? optimizer = null, TrainingSection? training = null, ScheduleSection? schedule = null) =>
        TrainingRecipe.From(TrainingSpecification.Create(
            data: new DataSection(DatasetKind.Synthetic),
            model: model,
            optimizer: optimizer,
            schedule: schedule,
            training: training).GetValueOrThrow());

    /// <summary>A built-in architecture with the given parameters (true and false are 1 and 0).</summary>
    public static ModelSection Architecture(string name, params (string Name, double Value)[] parameters) =>
        new(name, parameters.Length == 0 ? null : parameters.ToDictionary(parameter => parameter.Name, parameter => parameter.Value, StringComparer.Ordinal));

    public static ModelSection Layers(params LayerSpec[] layers) => new(Layers: layers);

    /// <summary>
    /// A small declarative model that uses every layer type but global pooling (resnet has that): a residual block with a projection shortcut, one with
    /// the identity, one on flat features; batch norm on images and on features; dropout.
    /// [1,28,28] stem [4,28,28] down [8,14,14] avgpool [8,7,7] same [8,7,7] maxpool [8,4,4] flatten [128] ... head [10].
    /// </summary>
    public static ModelSection ResidualLayers { get; } = Layers(
        new LayerSpec("conv2d", "stem", Channels: 4, Kernel: 3, Padding: 1),
        new LayerSpec("batchnorm"),
        new LayerSpec("gelu"),
        new LayerSpec("residual", "down",
            Layers:
            [
                new LayerSpec("conv2d", Channels: 8, Kernel: 3, Stride: 2, Padding: 1),
                new LayerSpec("batchnorm"),
                new LayerSpec("tanh"),
                new LayerSpec("conv2d", Channels: 8, Padding: 1),
            ],
            Shortcut: [new LayerSpec("conv2d", Channels: 8, Kernel: 1, Stride: 2), new LayerSpec("batchnorm")]),
        new LayerSpec("avgpool2d"),
        new LayerSpec("residual", "same", Layers: [new LayerSpec("conv2d", Channels: 8, Padding: 1), new LayerSpec("relu")]),
        new LayerSpec("maxpool2d", Kernel: 3, Stride: 2, Padding: 1),
        new LayerSpec("flatten"),
        new LayerSpec("batchnorm"),
        new LayerSpec("dropout", P: 0.2),
        new LayerSpec("linear", Units: 16),
        new LayerSpec("sigmoid"),
        new LayerSpec("residual", Layers: [new LayerSpec("linear", Units: 16), new LayerSpec("relu")]),
        new LayerSpec("linear", "head", Units: 10));

    /// <summary>The model a recipe stands for, resolved through the registry as the executor resolves it.</summary>
    public static ModelSpec SpecOf(TrainingRecipe recipe) => ModelRegistry.BuiltIn.Resolve(recipe.Model, Synthetic);

    /// <summary>A checkpoint's parameters, copied into the caller's dispose scope (the module is disposed).</summary>
    public static Tensor[] Parameters(byte[] checkpoint, TrainingRecipe recipe)
    {
        ModelSpec spec = SpecOf(recipe);
        using var model = ModelFactory.Create(spec);
        CheckpointFormat.Read(new CheckpointReference(RunId.Parse("test"), "checkpoint"), checkpoint, spec.Describe(), model, null);
        return model.parameters().Select(parameter => parameter.detach().clone()).ToArray();
    }
}
