using System.Diagnostics;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>Many chunks in one process leave no tensors behind and do not grow the process.</summary>
[Collection(nameof(MemoryTests))]
public sealed class MemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task ManyChunksInOneProcess_KeepLiveTensorsAndResidentMemoryFlat()
    {
        TrainingRecipe recipe = TestRecipes.Recipe(TestRecipes.Architecture("cnn"), training: new TrainingSection(BatchSize: 32, Seed: 3));
        var options = new TorchSharpExecutorOptions { Threads = 1, SyntheticTrainExamples = 1024, SyntheticTestExamples = 256 };
        using var datasets = new DatasetProvider(options);
        var store = new InMemoryCheckpointStore();
        var executor = new TorchSharpTrainingExecutor(store, datasets, options, NullLogger<TorchSharpTrainingExecutor>.Instance);
        CheckpointReference current = (await executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("memory")), recipe))).Checkpoint;
        long liveAfterWarmUp = 0;
        long residentAfterWarmUp = 0;
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
                residentAfterWarmUp = Resident();
            }
        }

        long liveAtEnd = LiveTensorsOnTheTensorThread();
        long growth = Resident() - residentAfterWarmUp;
        output.WriteLine($"Live tensors {liveAfterWarmUp} -> {liveAtEnd}; resident memory {residentAfterWarmUp / 1024 / 1024} MB -> {(residentAfterWarmUp + growth) / 1024 / 1024} MB over {Chunks - WarmUp} chunks.");
        Assert.True(liveAtEnd == liveAfterWarmUp, $"Live tensors went from {liveAfterWarmUp} to {liveAtEnd}; resident memory grew {growth / 1024 / 1024} MB.");
        // 30 chunks after warm-up; without per-step dispose scopes a CNN leaks about 2.6 MB a step (390 MB over the 150
        // steps here). Undisposed models (1.5 MB a chunk) are caught by the live-tensor count above. The allowance is
        // for glibc keeping freed heap (NativeAllocatorTuning's trim threshold): 33 MB was the most seen after the
        // other tests had run.
        Assert.True(growth < 64 * 1024 * 1024, $"Resident memory grew by {growth / 1024 / 1024} MB over 30 chunks.");
    }

    // Dispose scopes are per thread, and every tensor of the executor is made on the process's tensor thread.
    private static long LiveTensorsOnTheTensorThread() =>
        TensorThreads.Run(() => DisposeScopeManager.Statistics.ThreadTotalLiveCount);

    private static long Resident()
    {
        // Managed garbage other tests in this process left (large arrays among it) must not move the figure: collect,
        // compact the large-object heap and give the memory back before reading it.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}

/// <summary>Resident memory is process-wide, so this runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public sealed class MemoryTestsCollection;
