using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Many chunks in one process leave no tensors behind. Every tensor the executor makes lives on the tensor thread, so
/// the count of live ones there is exact while no other test uses that thread: the test runs alone, after the
/// parallel ones. Resident memory is a property of a whole process, which tests share: it is measured where a worker
/// runs alone, over 10,000 rounds, by <c>scripts/faults.sh --rounds</c> (bench/results/rounds.md).
/// </summary>
[Collection(nameof(MemoryTests))]
public sealed class MemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task ManyChunksInOneProcess_LeaveNoLiveTensorsBehind()
    {
        TrainingRecipe recipe = TestRecipes.Recipe(TestRecipes.Architecture("cnn"), training: new TrainingSection(BatchSize: 32, Seed: 3));
        var options = new TorchSharpExecutorOptions { Threads = 1, SyntheticTrainExamples = 1024, SyntheticTestExamples = 256 };
        using var datasets = new DatasetProvider(options);
        var store = new InMemoryCheckpointStore();
        var executor = new TorchSharpTrainingExecutor(store, datasets, options, NullLogger<TorchSharpTrainingExecutor>.Instance);
        CheckpointReference current = (await executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("memory")), recipe))).Checkpoint;
        long liveAfterWarmUp = 0;
        const int Chunks = 40;
        const int WarmUp = 10;
        for (int chunk = 1; chunk <= Chunks; chunk++)
        {
            ChunkResult result = await executor.RunChunkAsync(new ChunkCommand(current, CheckpointReference.ForReplica(RunId.Parse("memory"), chunk, 0), 0, 1, (chunk - 1) * 5L, 5, 1.0, recipe, Chunks * 5));
            await executor.EvaluateAsync(new EvaluateCommand(result.Checkpoint, recipe));
            await store.DeleteAsync(current);
            current = result.Checkpoint;
            if (chunk == WarmUp)
            {
                liveAfterWarmUp = LiveTensorsOnTheTensorThread();
            }
        }

        long liveAtEnd = LiveTensorsOnTheTensorThread();
        output.WriteLine($"Live tensors on the tensor thread: {liveAfterWarmUp} after {WarmUp} chunks, {liveAtEnd} after {Chunks}.");
        // A tensor that outlives its chunk (an undisposed model, optimizer state or batch) shows here as a count that
        // grows by chunk.
        Assert.True(liveAtEnd == liveAfterWarmUp, $"Live tensors went from {liveAfterWarmUp} to {liveAtEnd} over {Chunks - WarmUp} chunks.");
    }

    // Dispose scopes are per thread, and every tensor of the executor is made on the process's tensor thread.
    private static long LiveTensorsOnTheTensorThread() =>
        TensorThreads.Run(() => DisposeScopeManager.Statistics.ThreadTotalLiveCount);
}

/// <summary>Other tests' tensors on the shared tensor thread would move the count, so this runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public sealed class MemoryTestsCollection;
