using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

// Usage: ExecutorBenchmark <mlp|cnn> <steps> <chunk> <threads>
// Prints one line per measurement: "name samples_per_second". Both loops train the same model from the same seed
// on Fashion-MNIST with Adam 1e-3 and batch 64; the executor additionally loads and saves a checkpoint per chunk.
string model = args.Length > 0 ? args[0] : "mlp";
int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
int chunk = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 250;
int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
const int BatchSize = 64;

var recipe = new TrainingRecipe(model == "cnn" ? ModelArchitecture.Cnn : ModelArchitecture.Mlp, 256, OptimizerKind.Adam, 1e-3, 0.9, 0, BatchSize, 42, DatasetKind.FashionMnist);
var options = new TorchSharpExecutorOptions { Threads = threads };
using var datasets = new DatasetProvider(options);
ImageSplit train = datasets.Get(DatasetKind.FashionMnist).Train;
var store = new MemoryCheckpointStore();
var executor = new TorchSharpTrainingExecutor(store, datasets, options, NullLogger<TorchSharpTrainingExecutor>.Instance);

// Warm-up outside the timings: libtorch initialisation, first allocations, JIT.
Bare(recipe, train, Math.Min(50, steps));
await Chunked(executor, recipe, Math.Min(50, steps), chunk);

// Alternate the two, three times each, and take the median: on a small shared machine the order and the moment
// matter more than the difference being measured.
var bareRates = new List<double>();
var executorRates = new List<double>();
for (int repeat = 0; repeat < 3; repeat++)
{
    var clock = Stopwatch.StartNew();
    Bare(recipe, train, steps);
    bareRates.Add(steps * BatchSize / clock.Elapsed.TotalSeconds);
    clock.Restart();
    await Chunked(executor, recipe, steps, chunk);
    executorRates.Add(steps * BatchSize / clock.Elapsed.TotalSeconds);
}

Console.WriteLine($"bare {Median(bareRates):F1}");
Console.WriteLine($"executor {Median(executorRates):F1}");
return 0;

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

// Our executor as an activity would call it: one chunk at a time, each loading and saving a checkpoint.
static async Task Chunked(TorchSharpTrainingExecutor executor, TrainingRecipe recipe, int steps, int chunk)
{
    CheckpointReference current = (await executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial("bench"), recipe))).Checkpoint;
    for (int done = 0, round = 1; done < steps; done += chunk, round++)
    {
        int size = Math.Min(chunk, steps - done);
        ChunkResult result = await executor.RunChunkAsync(new ChunkCommand(current, CheckpointReference.ForReplica("bench", round, 0), 0, 1, done, size, 1.0, recipe, steps));
        current = result.Checkpoint;
    }
}

// The loop a TorchSharp user would write by hand: same model, optimizer, data order and dispose scopes.
static void Bare(TrainingRecipe recipe, ImageSplit train, int steps)
{
    using var scope = NewDisposeScope();
    using var model = ModelFactory.Create(recipe, recipe.Seed);
    using var optimizer = ModelFactory.CreateOptimizer(recipe, model);
    var batches = new ShardBatches(train.Count, 0, 1, recipe.BatchSize, recipe.Seed);
    model.train();
    for (int step = 0; step < steps; step++)
    {
        using var stepScope = NewDisposeScope();
        using Tensor indices = tensor(batches.IndicesFor(step));
        optimizer.zero_grad();
        Tensor loss = nn.functional.cross_entropy(model.call(train.Images.index_select(0, indices)), train.Labels.index_select(0, indices));
        loss.backward();
        optimizer.step();
        _ = loss.item<float>();
    }
}

sealed class MemoryCheckpointStore : ICheckpointStore
{
    private readonly ConcurrentDictionary<CheckpointReference, byte[]> _blobs = new();

    public Task SaveAsync(CheckpointReference reference, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        _blobs[reference] = content.ToArray();
        return Task.CompletedTask;
    }

    public Task<byte[]> LoadAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.FromResult(_blobs[reference]);

    public Task DeleteAsync(CheckpointReference reference, CancellationToken cancellationToken = default)
    {
        _blobs.TryRemove(reference, out _);
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.FromResult(_blobs.ContainsKey(reference));

    public string Describe(CheckpointReference reference) => "memory:" + reference;
}
