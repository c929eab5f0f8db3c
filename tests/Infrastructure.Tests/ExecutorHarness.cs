using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableTrainer.Infrastructure.Tests;

/// <summary>What executor tests share: a real TorchSharp executor, one thread, the synthetic dataset, an in-memory store.</summary>
internal sealed class ExecutorHarness : IDisposable
{
    public ExecutorHarness(int trainExamples = 1024, int testExamples = 500)
    {
        var options = new TorchSharpExecutorOptions { Threads = 1, SyntheticTrainExamples = trainExamples, SyntheticTestExamples = testExamples };
        Datasets = new DatasetProvider(options);
        Executor = new TorchSharpTrainingExecutor(Store, Datasets, options, NullLogger<TorchSharpTrainingExecutor>.Instance);
    }

    public InMemoryCheckpointStore Store { get; } = new();

    public DatasetProvider Datasets { get; }

    public TorchSharpTrainingExecutor Executor { get; }

    public async Task<CheckpointReference> InitializeAsync(string runId, TrainingRecipe recipe) =>
        (await Executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(runId), recipe))).Checkpoint;

    public Task<ChunkResult> ChunkAsync(TrainingRecipe recipe, CheckpointReference start, string output, long before, int steps, int replica = 0, int replicas = 1) =>
        Executor.RunChunkAsync(new ChunkCommand(start, new CheckpointReference(start.RunId, output), replica, replicas, before, steps, 1.0, recipe));

    public void Dispose() => Datasets.Dispose();
}
