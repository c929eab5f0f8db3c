using System.Diagnostics;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp;

/// <summary>
/// Does the real work with TorchSharp: builds models, runs forward and backward passes and optimizer steps, merges
/// replicas and evaluates, moving state only through checkpoints. Blob I/O is awaited first; all tensor work then
/// runs synchronously on one thread, because dispose scopes are thread-static.
/// </summary>
public sealed class TorchSharpTrainingExecutor : ITrainingExecutor
{
    private readonly ICheckpointStore _checkpoints;
    private readonly DatasetProvider _datasets;
    private readonly TorchSharpExecutorOptions _options;
    private readonly ILogger<TorchSharpTrainingExecutor> _logger;

    public TorchSharpTrainingExecutor(
        ICheckpointStore checkpoints,
        DatasetProvider datasets,
        TorchSharpExecutorOptions options,
        ILogger<TorchSharpTrainingExecutor> logger)
    {
        _checkpoints = checkpoints;
        _datasets = datasets;
        _options = options;
        _logger = logger;
        int threads = options.ResolveThreads();
        torch.set_num_threads(threads);
        _logger.LogInformation("TorchSharp executor uses {Threads} libtorch thread(s) per process (libtorch {Version}).", threads, torch.__version__);
    }

    public async Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ImageDataset dataset = _datasets.Get(command.Recipe.Dataset);
        (byte[] content, long parameters) = CreateInitialState(command.Recipe);
        await _checkpoints.SaveAsync(command.Output, content, cancellationToken);
        return new InitializationResult(command.Output, dataset.Train.Count, dataset.Test.Count, parameters);
    }

    public async Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        byte[] start = await _checkpoints.LoadAsync(command.Start, cancellationToken);
        (byte[] content, ChunkResult result) = TrainChunk(command, start, cancellationToken);
        await _checkpoints.SaveAsync(command.Output, content, cancellationToken);
        _logger.LogInformation(
            "Chunk {Output}: {Steps} steps, mean loss {Loss:F4}, {Rate:F0} samples/s.",
            command.Output, result.Steps, result.MeanLoss, result.Samples / Math.Max(result.Seconds, 1e-9));
        return result;
    }

    public async Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Replicas.Count == 0)
        {
            throw new ArgumentException("A merge needs at least one replica.", nameof(command));
        }

        var replicas = new List<byte[]>(command.Replicas.Count);
        foreach (CheckpointReference replica in command.Replicas)
        {
            replicas.Add(await _checkpoints.LoadAsync(replica, cancellationToken));
        }

        bool outer = command.Strategy == MergeStrategy.OuterNesterov;
        if (outer && (command.Start is null || command.MomentumOut is null))
        {
            throw new ArgumentException("An outer Nesterov merge needs the previous global checkpoint and a name for the momentum buffer.", nameof(command));
        }

        byte[]? start = outer ? await _checkpoints.LoadAsync(command.Start!, cancellationToken) : null;
        byte[]? momentum = outer && command.MomentumIn is not null ? await _checkpoints.LoadAsync(command.MomentumIn, cancellationToken) : null;
        (byte[] merged, byte[]? momentumOut) = Merge(command, replicas, start, momentum);
        if (momentumOut is not null)
        {
            await _checkpoints.SaveAsync(command.MomentumOut!, momentumOut, cancellationToken);
        }

        await _checkpoints.SaveAsync(command.Output, merged, cancellationToken);
        return command.Output;
    }

    public async Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        byte[] content = await _checkpoints.LoadAsync(command.Checkpoint, cancellationToken);
        return Evaluate(command, content);
    }

    private static (byte[] Content, long Parameters) CreateInitialState(TrainingRecipe recipe)
    {
        using var scope = NewDisposeScope();
        // Modules own their parameters outside any dispose scope: dispose them, or every call leaks the weights.
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(recipe, recipe.Seed);

        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe, model);
        long parameters = model.parameters().Sum(parameter => parameter.numel());
        return (CheckpointFormat.Write(ModelFactory.Describe(recipe), 0, model, optimizer), parameters);
    }

    private (byte[] Content, ChunkResult Result) TrainChunk(ChunkCommand command, byte[] start, CancellationToken cancellationToken)
    {
        TrainingRecipe recipe = command.Recipe;
        ImageSplit train = _datasets.Get(recipe.Dataset).Train;
        using var chunkScope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(recipe);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe, model);
        long replicaSteps = CheckpointFormat.Read(command.Start, start, ModelFactory.Describe(recipe), model, optimizer);
        if (replicaSteps != command.ReplicaStepsBefore)
        {
            throw new InvalidOperationException(
                $"Checkpoint {command.Start} holds {replicaSteps} steps of replica data but the chunk expects {command.ReplicaStepsBefore}.");
        }

        var batches = new ShardBatches(train.Count, command.Replica, command.ReplicaCount, recipe.BatchSize, recipe.Seed);
        model.train();
        var stopwatch = Stopwatch.StartNew();
        double lossSum = 0;
        double lastLoss = double.NaN;
        long samples = 0;
        var stepMetrics = new List<StepMetric>(command.Steps);
        for (int step = 0; step < command.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            SetLearningRate(optimizer, recipe, command, replicaSteps + step);
            using Tensor indices = tensor(batches.IndicesFor(replicaSteps + step));
            Tensor images = train.Images.index_select(0, indices);
            Tensor labels = train.Labels.index_select(0, indices);
            optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(model.call(images), labels);
            loss.backward();
            if (recipe.GradientClipNorm is { } maxNorm)
            {
                nn.utils.clip_grad_norm_(model.parameters(), maxNorm);
            }

            optimizer.step();
            lastLoss = loss.item<float>();
            lossSum += lastLoss;
            stepMetrics.Add(new StepMetric((replicaSteps + step + 1) * command.ReplicaCount, lastLoss, optimizer.ParamGroups.First().LearningRate));
            samples += indices.shape[0];
        }

        stopwatch.Stop();
        byte[] content = CheckpointFormat.Write(ModelFactory.Describe(recipe), replicaSteps + command.Steps, model, optimizer);
        var result = new ChunkResult(
            command.Output,
            command.Steps,
            command.Steps > 0 ? lossSum / command.Steps : double.NaN,
            lastLoss,
            samples,
            stopwatch.Elapsed.TotalSeconds,
            stepMetrics);
        return (content, result);
    }

    // The schedule runs on the global step (replica step x replica count), so K replicas follow the same curve as one.
    private static void SetLearningRate(OptimizerHelper optimizer, TrainingRecipe recipe, ChunkCommand command, long replicaStep)
    {
        long globalStep = replicaStep * command.ReplicaCount;
        double factor = LearningRateSchedules.Factor(
            recipe.Schedule, globalStep, Math.Max(command.TotalSteps, globalStep + 1), recipe.WarmupSteps, recipe.StepDecayEvery, recipe.StepDecayFactor, recipe.MinLearningRateFactor);
        double learningRate = recipe.LearningRate * command.LearningRateScale * factor;
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }
    }

    /// <summary>
    /// Averages the replicas' parameters. For the outer Nesterov strategy (DiLoCo's outer step) the average only
    /// defines the pseudo-gradient <c>delta = previous - average</c>; then <c>m = mu * m + delta</c> and
    /// <c>next = previous - lr * (delta + mu * m)</c>. The merged model keeps replica 0's optimizer state, since
    /// averaging Adam moments is not meaningful in general.
    /// </summary>
    private static (byte[] Merged, byte[]? Momentum) Merge(MergeCommand command, IReadOnlyList<byte[]> replicas, byte[]? start, byte[]? momentumIn)
    {
        TrainingRecipe recipe = command.Recipe;
        string description = ModelFactory.Describe(recipe);
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> merged = ModelFactory.Create(recipe);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe, merged);
        long replicaSteps = CheckpointFormat.Read(command.Replicas[0], replicas[0], description, merged, optimizer);
        using nn.Module<Tensor, Tensor> other = ModelFactory.Create(recipe);
        Tensor[] mergedParameters = merged.parameters().ToArray();
        byte[]? momentumOut = null;
        using (no_grad())
        {
            for (int r = 1; r < replicas.Count; r++)
            {
                long otherSteps = CheckpointFormat.Read(command.Replicas[r], replicas[r], description, other, null);
                if (otherSteps != replicaSteps)
                {
                    throw new InvalidOperationException(
                        $"Replica checkpoints disagree on progress: {command.Replicas[0]} has {replicaSteps} steps, {command.Replicas[r]} has {otherSteps}.");
                }

                Tensor[] otherParameters = other.parameters().ToArray();
                for (int p = 0; p < mergedParameters.Length; p++)
                {
                    mergedParameters[p].add_(otherParameters[p]);
                }
            }

            foreach (Tensor parameter in mergedParameters)
            {
                parameter.div_(replicas.Count);
            }

            if (start is not null)
            {
                using nn.Module<Tensor, Tensor> previous = ModelFactory.Create(recipe);
                CheckpointFormat.Read(command.Start!, start, description, previous, null);
                using nn.Module<Tensor, Tensor> momentum = ModelFactory.Create(recipe);
                Tensor[] momentumParameters = momentum.parameters().ToArray();
                if (momentumIn is not null)
                {
                    CheckpointFormat.Read(command.MomentumIn!, momentumIn, description, momentum, null);
                }
                else
                {
                    foreach (Tensor buffer in momentumParameters)
                    {
                        buffer.zero_();
                    }
                }

                Tensor[] previousParameters = previous.parameters().ToArray();
                double mu = command.OuterMomentum;
                for (int p = 0; p < mergedParameters.Length; p++)
                {
                    using var stepScope = NewDisposeScope();
                    Tensor delta = previousParameters[p] - mergedParameters[p];
                    momentumParameters[p].mul_(mu).add_(delta);
                    mergedParameters[p].copy_(previousParameters[p] - (command.OuterLearningRate * (delta + (mu * momentumParameters[p]))));
                }

                momentumOut = CheckpointFormat.Write(description, replicaSteps, momentum, null);
            }
        }

        return (CheckpointFormat.Write(description, replicaSteps, merged, optimizer), momentumOut);
    }

    private EvaluationResult Evaluate(EvaluateCommand command, byte[] content)
    {
        TrainingRecipe recipe = command.Recipe;
        ImageSplit test = _datasets.Get(recipe.Dataset).Test;
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(recipe);
        CheckpointFormat.Read(command.Checkpoint, content, ModelFactory.Describe(recipe), model, null);
        model.eval();
        var stopwatch = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0;
        using (no_grad())
        {
            for (int start = 0; start < test.Count; start += _options.EvaluationBatchSize)
            {
                using var batchScope = NewDisposeScope();
                int length = Math.Min(_options.EvaluationBatchSize, test.Count - start);
                Tensor images = test.Images.narrow(0, start, length);
                Tensor labels = test.Labels.narrow(0, start, length);
                Tensor logits = model.call(images);
                lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(labels).sum().item<long>();
            }
        }

        return new EvaluationResult(lossSum / test.Count, (double)correct / test.Count, test.Count, stopwatch.Elapsed.TotalSeconds);
    }
}
