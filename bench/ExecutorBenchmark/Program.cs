using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

// Usage: ExecutorBenchmark <mlp|cnn|cnn-bn|resnet> <steps> <chunk> <threads> [repeats] [pairs]
//        ExecutorBenchmark score <folder of .npy shards> <threads>
// Prints one line per measurement: "name samples_per_second". With pairs 0 it stops after the whole-run rates.
// "score" is the bare scoring loop a TorchSharp user would write: the default run's network in eval mode, rows
// standardized, softmax probabilities copied out, batches of the predictor's size; prints "score_seconds S".
// Both loops train the same model from the same seed on Fashion-MNIST with Adam 1e-3 and batch 64; the executor
// additionally loads and saves a checkpoint per chunk. The model is a built-in architecture at its defaults (the MLP
// with 256 hidden units).
// The bare loop runs on the executor's tensor thread, as all tensor work of a process should (see TensorThreads): a
// second thread opening OpenMP regions would slow both.
if (args.Length > 0 && args[0] == "score")
{
    Console.WriteLine(FormattableString.Invariant($"score_seconds {ScoreShards(args[1], int.Parse(args[2], CultureInfo.InvariantCulture)):F3}"));
    return 0;
}

string model = args.Length > 0 ? args[0] : "mlp";
int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
int chunk = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 250;
int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
int repeats = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 5;
int pairs = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 20;
const int BatchSize = 64;

var recipe = TrainingRecipe.From(TrainingSpecification.Create(
    data: new DataSection(DatasetKind.FashionMnist),
    model: model switch
    {
        "mlp" => new ModelSection("mlp", new Dictionary<string, double> { ["hiddenUnits"] = 256 }),
        // The default run's network: the CNN with batch norm after each convolution and the hidden linear layer.
        "cnn-bn" => new ModelSection("cnn", new Dictionary<string, double> { ["batchNorm"] = 1 }),
        _ => new ModelSection(model),
    },
    optimizer: new OptimizerSection(OptimizerKind.Adam, LearningRate: 1e-3),
    training: new TrainingSection(BatchSize: BatchSize, Seed: 42)).GetValueOrThrow());
// BENCH_TUNE_ALLOCATOR=0 measures without NativeAllocatorTuning (for example to try MALLOC_* variables instead).
var options = new TorchSharpExecutorOptions { Threads = threads, TuneNativeAllocator = Environment.GetEnvironmentVariable("BENCH_TUNE_ALLOCATOR") != "0" };
using var datasets = new DatasetProvider(options);
var loading = Stopwatch.StartNew();
LoadedDataset dataset = await datasets.GetAsync(recipe.Data);
Console.WriteLine(FormattableString.Invariant($"data_load_seconds {loading.Elapsed.TotalSeconds:F2}"));
ModelSpec spec = ModelRegistry.BuiltIn.Resolve(recipe.Model, dataset.Shape);
DataSplit train = (DataSplit)dataset.Train;
var store = new MemoryCheckpointStore();
using ILoggerFactory loggers = Environment.GetEnvironmentVariable("BENCH_TRACE") == "1"
    ? LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug))
    : NullLoggerFactory.Instance;
var executor = new TorchSharpTrainingExecutor(store, datasets, options, loggers.CreateLogger<TorchSharpTrainingExecutor>());

// Warm-up outside the timings: libtorch initialisation, first allocations, JIT.
Bare(recipe, spec, train, Math.Min(50, steps), threads);
await Chunked(executor, recipe, Math.Min(50, steps), chunk);

// Alternate the two, several times each, and take the median: on a small shared machine the order and the moment
// matter more than the difference being measured.
// Both wall-clock and process CPU time are recorded: with one libtorch thread, CPU time counts the work done and is
// far less disturbed by other processes on the machine than wall time is.
var bareRates = new List<double>();
var executorRates = new List<double>();
var bareCpuRates = new List<double>();
var executorCpuRates = new List<double>();
var overheads = new List<double>();
for (int repeat = 0; repeat < repeats; repeat++)
{
    var clock = Stopwatch.StartNew();
    TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
    Bare(recipe, spec, train, steps, threads);
    bareRates.Add(steps * BatchSize / clock.Elapsed.TotalSeconds);
    bareCpuRates.Add(steps * BatchSize / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    clock.Restart();
    cpu = Process.GetCurrentProcess().TotalProcessorTime;
    double stepSeconds = await Chunked(executor, recipe, steps, chunk);
    double wall = clock.Elapsed.TotalSeconds;
    executorRates.Add(steps * BatchSize / wall);
    executorCpuRates.Add(steps * BatchSize / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    overheads.Add((wall - stepSeconds) / Math.Ceiling((double)steps / chunk));
}

Console.WriteLine(FormattableString.Invariant($"bare {Median(bareRates):F1}"));
Console.WriteLine(FormattableString.Invariant($"executor {Median(executorRates):F1}"));
Console.WriteLine(FormattableString.Invariant($"bare_cpu {Median(bareCpuRates):F1}"));
Console.WriteLine(FormattableString.Invariant($"executor_cpu {Median(executorCpuRates):F1}"));
Console.WriteLine(FormattableString.Invariant($"bare_range {bareRates.Min():F0}-{bareRates.Max():F0}"));
Console.WriteLine(FormattableString.Invariant($"executor_range {executorRates.Min():F0}-{executorRates.Max():F0}"));
Console.WriteLine(FormattableString.Invariant($"overhead_ms_per_chunk {1000 * Median(overheads):F1}"));

// With no pairs asked for (bench/executor.sh's short runs against PyTorch), the whole-run rates above are all.
if (pairs == 0)
{
    return 0;
}

// Paired chunks: one chunk of the bare loop (a model that lives on, as in a user's script) right before one chunk
// through the executor (checkpoint in, checkpoint out), many times over. Adjacent measurements share the machine's
// momentary load, so the per-pair ratio cancels most of what makes whole runs wander.
using (BareLoop bareLoop = TensorThreads.Run(() => new BareLoop(recipe, spec, train), threads))
{
    CheckpointReference current = (await executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("paired")), recipe))).Checkpoint;
    var ratios = new List<double>();
    for (int pair = 0; pair < pairs; pair++)
    {
        var clock = Stopwatch.StartNew();
        TensorThreads.Run(() => { bareLoop.Run(chunk); return chunk; }, threads);
        double bareSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        ChunkResult result = await executor.RunChunkAsync(new ChunkCommand(current, CheckpointReference.ForReplica(RunId.Parse("paired"), pair + 1, 0), 0, 1, (long)pair * chunk, chunk, 1.0, recipe, (long)pairs * chunk));
        double executorSeconds = clock.Elapsed.TotalSeconds;
        current = result.Checkpoint;
        ratios.Add(bareSeconds / executorSeconds);
    }

    List<double> sorted = ratios.Order().ToList();
    Console.WriteLine(FormattableString.Invariant($"paired_ratio {Median(ratios):F3}"));
    Console.WriteLine(FormattableString.Invariant($"paired_quartiles {sorted[sorted.Count / 4]:F3}-{sorted[3 * sorted.Count / 4]:F3}"));
    Console.WriteLine(FormattableString.Invariant($"paired_count {pairs}"));
}

// Evaluation as the activity runs it (checkpoint in, forward passes without gradients over the validation split),
// at the executor's evaluation batch size; BENCH_EVALUATION_BATCHES="1000,256" compares others.
CheckpointReference evaluated = (await executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("evaluated")), recipe))).Checkpoint;
string batches = Environment.GetEnvironmentVariable("BENCH_EVALUATION_BATCHES") ?? options.EvaluationBatchSize.ToString(CultureInfo.InvariantCulture);
foreach (int batch in batches.Split(',').Select(value => int.Parse(value, CultureInfo.InvariantCulture)))
{
    var evaluator = new TorchSharpTrainingExecutor(store, datasets, new TorchSharpExecutorOptions { Threads = threads, EvaluationBatchSize = batch }, NullLogger<TorchSharpTrainingExecutor>.Instance);
    var rates = new List<double>();
    for (int repeat = 0; repeat < 3; repeat++)
    {
        var clock = Stopwatch.StartNew();
        EvaluationResult evaluation = await evaluator.EvaluateAsync(new EvaluateCommand(evaluated, recipe, EvaluationSplit.Validation));
        rates.Add(evaluation.Metrics.Examples / clock.Elapsed.TotalSeconds);
    }

    Console.WriteLine(FormattableString.Invariant($"evaluate_batch_{batch} {Median(rates):F1}"));
}

Console.WriteLine(FormattableString.Invariant($"matmul_gflops {TensorThreads.Run(MatmulPeakGflops, threads):F1}"));
Console.WriteLine(FormattableString.Invariant($"train_mflop_per_sample {TrainingFlopsPerSample(spec) / 1e6:F2}"));
return 0;

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

// Seconds to score every row of the folder's shards (read first, outside the time), on one tensor thread.
static double ScoreShards(string folder, int threads)
{
    NumPyArray[] shards = [.. Directory.GetFiles(folder, "*.npy").Order(StringComparer.Ordinal).Select(path => NumPyArray.Parse(path, File.ReadAllBytes(path)))];
    var options = new TorchSharpExecutorOptions { Threads = threads };
    int[] shape = shards[0].Shape[1..];
    ModelSpec spec = ModelRegistry.BuiltIn.Resolve(new ModelSection("cnn", new Dictionary<string, double> { ["batchNorm"] = 1 }), new DataShape(shape, 10));
    return TensorThreads.Run(() =>
    {
        using nn.Module<Tensor, Tensor> network = ModelFactory.Create(spec, 42);
        network.eval();
        float[][] rows = [.. shards.Select(shard => shard.ToSingles())];
        var clock = Stopwatch.StartNew();
        using (no_grad())
        {
            foreach (float[] values in rows)
            {
                using var scope = NewDisposeScope();
                Tensor all = tensor(values, [values.Length / shape.Aggregate(1, (a, b) => a * b), .. shape.Select(size => (long)size)]);
                for (long first = 0; first < all.shape[0]; first += options.PredictionBatchSize)
                {
                    using var batchScope = NewDisposeScope();
                    Tensor batch = all.narrow(0, first, Math.Min(options.PredictionBatchSize, all.shape[0] - first)).sub(0.286f).div(0.353f);
                    _ = nn.functional.softmax(network.call(batch), 1).data<float>().ToArray();
                }
            }
        }

        return clock.Elapsed.TotalSeconds;
    }, threads);
}

// Our executor as an activity would call it: one chunk at a time, each loading and saving a checkpoint. Returns the
// time spent inside the chunks' step loops, so the rest (checkpoint I/O, model builds) can be reported as overhead.
static async Task<double> Chunked(TorchSharpTrainingExecutor executor, TrainingRecipe recipe, int steps, int chunk)
{
    CheckpointReference current = (await executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("bench")), recipe))).Checkpoint;
    double stepSeconds = 0;
    for (int done = 0, round = 1; done < steps; done += chunk, round++)
    {
        int size = Math.Min(chunk, steps - done);
        var command = new ChunkCommand(current, CheckpointReference.ForReplica(RunId.Parse("bench"), round, 0), 0, 1, done, size, 1.0, recipe, steps);
        ChunkResult result = await executor.RunChunkAsync(command);
        current = result.Checkpoint;
        stepSeconds += result.Seconds;
    }

    return stepSeconds;
}

// The best single-precision matrix multiply rate libtorch reaches here: the denominator of model FLOP utilisation.
static double MatmulPeakGflops()
{
    const int N = 1024;
    using var scope = NewDisposeScope();
    Tensor a = randn(N, N);
    Tensor b = randn(N, N);
    double best = 0;
    for (int i = 0; i < 12; i++)
    {
        using var product = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        _ = a.mm(b);
        best = Math.Max(best, 2.0 * N * N * N / clock.Elapsed.TotalSeconds / 1e9);
    }

    return best;
}

// Multiply-adds of one forward pass, counted layer by layer from the resolved layers and the shapes they receive
// (convolutions and linear layers; the rest is negligible); a training step costs about three forward passes
// (forward, gradient with respect to inputs, gradient with respect to weights), the usual MFU convention.
static double TrainingFlopsPerSample(ModelSpec spec) => 3 * 2 * MultiplyAdds(spec.Layers, [.. spec.Shape.Input]);

static double MultiplyAdds(IReadOnlyList<LayerSpec> layers, int[] input)
{
    double macs = 0;
    int[] shape = input;
    foreach (LayerSpec layer in layers)
    {
        int[] output = LayerShapes.Infer([layer], shape, "layer").Output
            ?? throw new InvalidOperationException($"Layer {layer.Name} does not fit {LayerShapes.Describe(shape)}.");
        macs += layer.Type switch
        {
            "linear" => (double)shape[0] * output[0],
            "conv2d" => (double)shape[0] * (layer.Kernel ?? 3) * (layer.Kernel ?? 3) * output[0] * output[1] * output[2],
            "residual" => MultiplyAdds(layer.Layers!, shape) + (layer.Shortcut is { Count: > 0 } shortcut ? MultiplyAdds(shortcut, shape) : 0),
            _ => 0,
        };
        shape = output;
    }

    return macs;
}

// The loop a TorchSharp user would write by hand: same model, optimizer, data order and dispose scopes.
static void Bare(TrainingRecipe recipe, ModelSpec spec, DataSplit train, int steps, int threads) =>
    TensorThreads.Run(() =>
    {
        using var loop = new BareLoop(recipe, spec, train);
        loop.Run(steps);
        return steps;
    }, threads);

// The bare loop, with a model that lives across calls: each Run continues where the last one stopped.
sealed class BareLoop : IDisposable
{
    private readonly DataSplit _train;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly ReplicaBatchOrder _batches;
    private long _step;

    public BareLoop(TrainingRecipe recipe, ModelSpec spec, DataSplit train)
    {
        _train = train;
        _model = ModelFactory.Create(spec, recipe.Training.Seed);
        _optimizer = ModelFactory.CreateOptimizer(recipe.Optimizer, _model);
        _batches = new ReplicaBatchOrder(train.Count, 0, 1, recipe.Training.BatchSize, recipe.Training.Seed);
        _model.train();
    }

    public void Run(int steps)
    {
        for (int i = 0; i < steps; i++, _step++)
        {
            using var stepScope = NewDisposeScope();
            using Tensor indices = tensor(_batches.IndicesFor(_step));
            _optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(_model.call(_train.Features.index_select(0, indices)), _train.Targets.index_select(0, indices));
            loss.backward();
            _optimizer.step();
            _ = loss.item<float>();
        }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
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
