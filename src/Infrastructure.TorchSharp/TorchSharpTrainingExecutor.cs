using System.Diagnostics;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Observability;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.Initialization;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp;

/// <summary>
/// Does the real work with TorchSharp: builds models, runs forward and backward passes and optimizer steps, merges
/// replicas and evaluates, moving state only through checkpoints. Blob I/O is awaited first; all tensor work then
/// runs synchronously on one of the process's tensor threads (dispose scopes are thread-static, and libtorch's OpenMP
/// runs fastest from few, long-lived threads: see <see cref="TensorThreads"/>).
/// </summary>
public sealed class TorchSharpTrainingExecutor : ITrainingExecutor
{
    private readonly ICheckpointStore _checkpoints;
    private readonly DatasetProvider _datasets;
    private readonly ModelRegistry _models;
    private readonly TorchSharpExecutorOptions _options;
    private readonly ILogger<TorchSharpTrainingExecutor> _logger;
    private readonly int _threads;

    public TorchSharpTrainingExecutor(
        ICheckpointStore checkpoints,
        DatasetProvider datasets,
        TorchSharpExecutorOptions options,
        ILogger<TorchSharpTrainingExecutor> logger,
        ModelRegistry? models = null)
    {
        _checkpoints = checkpoints;
        _datasets = datasets;
        _models = models ?? ModelRegistry.BuiltIn;
        _options = options;
        _logger = logger;
        _threads = options.ResolveThreads();
        torch.set_num_threads(_threads);
        TensorThreads.EnsureAtLeast(options.ConcurrentActivities);
        string allocator = options.TuneNativeAllocator ? NativeAllocatorTuning.EnsureApplied() : "left as is (Training:TuneNativeAllocator is off)";
        _logger.LogInformation("TorchSharp executor uses {Threads} libtorch thread(s) per process (libtorch {Version}); native allocator: {Allocator}.",
            _threads, torch.__version__, allocator);
    }

    public async Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        using IDisposable? logScope = _logger.BeginScope(TrainingTelemetry.LogScope(command.Output.RunId.Value, "initialize"));
        using Activity? span = TrainingTelemetry.StartOperation("InitializeTraining", command.Output);
        LoadedDataset dataset = await _datasets.GetAsync(command.Recipe.Data, cancellationToken);
        ModelSpec spec = await SpecOfAsync(command.Recipe, dataset, cancellationToken);
        span?.SetTag(TrainingTelemetry.ModelTag, spec.Kind);
        InitialWeights? init = command.Recipe.Model.InitFrom;
        byte[]? weights = init is null ? null : await _models.StartingWeights.ReadAsync(init, cancellationToken);
        if (init is not null && init.IsContinuation())
        {
            // The source's checkpoint is this run's first, as it is: weights, optimizer state and data cursor carry on.
            (long trainable, long replicaSteps) = await OnTensorThreadAsync(() => CheckContinuation(command.Recipe, spec, init, weights!), cancellationToken);
            await _checkpoints.SaveAsync(command.Output, weights!, cancellationToken);
            _logger.LogInformation("Continuing {Source} from step {Steps} per replica.", init.Describe(), replicaSteps);
            return new InitializationResult(command.Output, dataset.Train.Count, dataset.Test.Count, trainable, dataset.Validation.Count, replicaSteps);
        }

        (byte[] content, long parameters) = await OnTensorThreadAsync(() => CreateInitialState(command.Recipe, spec, dataset, weights), cancellationToken);
        await _checkpoints.SaveAsync(command.Output, content, cancellationToken);
        return new InitializationResult(command.Output, dataset.Train.Count, dataset.Test.Count, parameters, dataset.Validation.Count);
    }

    public async Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        using IDisposable? logScope = _logger.BeginScope(TrainingTelemetry.LogScope(command.Output.RunId.Value, "chunk"));
        using Activity? span = TrainingTelemetry.StartOperation("RunChunk", command.Output);
        span?.SetTag(TrainingTelemetry.ReplicaTag, command.Replica);
        var wall = Stopwatch.StartNew();
        LoadedDataset dataset = await _datasets.GetAsync(command.Recipe.Data, cancellationToken);
        ModelSpec spec = await SpecOfAsync(command.Recipe, dataset, cancellationToken);
        (byte[] start, double readSeconds) = await LoadTimedAsync(command.Start, cancellationToken);
        (byte[] content, ChunkResult result) = await OnTensorThreadAsync(() => TrainChunk(command, spec, dataset, start, cancellationToken), cancellationToken);
        var write = Stopwatch.StartNew();
        await _checkpoints.SaveAsync(command.Output, content, cancellationToken);
        result = result with { Timing = new ExecutorTiming(wall.Elapsed.TotalSeconds, readSeconds, write.Elapsed.TotalSeconds) };
        var runTag = new KeyValuePair<string, object?>(TrainingTelemetry.RunIdTag, command.Output.RunId.Value);
        TrainingTelemetry.Steps.Add(result.Steps, runTag);
        TrainingTelemetry.Samples.Add(result.Samples, runTag);
        TrainingTelemetry.ChunkDuration.Record(result.Seconds, runTag);
        TrainingTelemetry.ChunkLoss.Record(result.MeanLoss, runTag);
        TrainingTelemetry.CheckpointSize.Record(content.Length, runTag);
        span?.SetTag("durabletrainer.steps", result.Steps);
        span?.SetTag("durabletrainer.mean_loss", result.MeanLoss);
        _logger.LogInformation(
            "Chunk {Output}: {Steps} steps, mean loss {Loss:F4}, {Rate:F0} samples/s.",
            command.Output, result.Steps, result.MeanLoss, result.Samples / Math.Max(result.Seconds, 1e-9));
        if (result.Validation is { } validation)
        {
            ReportEvaluation(command.Output, EvaluationSplit.Validation, validation, span);
        }

        if (result.Test is { } test)
        {
            ReportEvaluation(command.Output, EvaluationSplit.Test, test, span);
        }

        return result;
    }

    public async Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        using IDisposable? logScope = _logger.BeginScope(TrainingTelemetry.LogScope(command.Output.RunId.Value, "merge"));
        using Activity? span = TrainingTelemetry.StartOperation("MergeReplicas", command.Output);
        if (command.Replicas.Count == 0)
        {
            throw new ArgumentException("A merge needs at least one replica.", nameof(command));
        }

        bool outer = command.Merge.Merge == MergeStrategy.OuterNesterov;
        if (outer && (command.Start is null || command.MomentumOut is null))
        {
            throw new ArgumentException("An outer Nesterov merge needs the previous global checkpoint and a name for the momentum buffer.", nameof(command));
        }

        // Every checkpoint the merge needs is read at once: the merge is the one serial step of a round that grows
        // with the replica count, and one read after another made it grow by a whole blob round trip per replica.
        Task<byte[]>[] replicaReads = [.. command.Replicas.Select(replica => _checkpoints.LoadAsync(replica, cancellationToken))];
        Task<byte[]?> startRead = outer ? LoadOptionalAsync(command.Start, cancellationToken) : Task.FromResult<byte[]?>(null);
        Task<byte[]?> momentumRead = outer ? LoadOptionalAsync(command.MomentumIn, cancellationToken) : Task.FromResult<byte[]?>(null);
        byte[][] replicas = await Task.WhenAll(replicaReads);
        byte[]? start = await startRead;
        byte[]? momentum = await momentumRead;
        LoadedDataset dataset = await _datasets.GetAsync(command.Recipe.Data, cancellationToken);
        ModelSpec spec = await SpecOfAsync(command.Recipe, dataset, cancellationToken);
        (byte[] merged, byte[]? momentumOut) = await OnTensorThreadAsync(() => Merge(command, spec, dataset, replicas, start, momentum), cancellationToken);
        if (momentumOut is not null)
        {
            await _checkpoints.SaveAsync(command.MomentumOut!, momentumOut, cancellationToken);
        }

        await _checkpoints.SaveAsync(command.Output, merged, cancellationToken);
        return command.Output;
    }

    private async Task<byte[]?> LoadOptionalAsync(CheckpointReference? checkpoint, CancellationToken cancellationToken) =>
        checkpoint is null ? null : await _checkpoints.LoadAsync(checkpoint, cancellationToken);

    public async Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        using IDisposable? logScope = _logger.BeginScope(TrainingTelemetry.LogScope(command.Checkpoint.RunId.Value, "evaluate"));
        using Activity? span = TrainingTelemetry.StartOperation("EvaluateCheckpoint", command.Checkpoint);
        var wall = Stopwatch.StartNew();
        LoadedDataset dataset = await _datasets.GetAsync(command.Recipe.Data, cancellationToken);
        ModelSpec spec = await SpecOfAsync(command.Recipe, dataset, cancellationToken);
        (byte[] content, double readSeconds) = await LoadTimedAsync(command.Checkpoint, cancellationToken);
        EvaluationResult result = await OnTensorThreadAsync(() => Evaluate(command, spec, dataset, content), cancellationToken);
        result = result with { Timing = new ExecutorTiming(wall.Elapsed.TotalSeconds, readSeconds, 0) };
        ReportEvaluation(command.Checkpoint, command.Split, result, span);
        return result;
    }

    private void ReportEvaluation(CheckpointReference checkpoint, EvaluationSplit split, EvaluationResult result, Activity? span)
    {
        EvaluationMetrics metrics = result.Metrics;
        if (metrics.AccuracyOrNull() is { } accuracy)
        {
            TrainingTelemetry.EvaluationAccuracy.Record(accuracy, new KeyValuePair<string, object?>(TrainingTelemetry.RunIdTag, checkpoint.RunId.Value));
            span?.SetTag("durabletrainer.accuracy", accuracy);
        }

        _logger.LogInformation("Evaluated {Checkpoint} on {Split}: loss {Loss:F4}, {Scores} on {Examples} examples.",
            checkpoint, SpecificationNames.Of(split), metrics.Loss,
            string.Join(", ", metrics.Scores.Select(score => $"{score.Key} {score.Value:F4}")), metrics.Examples);
    }

    /// <summary>
    /// The run's first checkpoint: the model drawn from the run's seed, then, for a run that starts from weights, the
    /// matching ones copied over it (reinitialised layers keep their draw); the optimizer fresh either way.
    /// </summary>
    private (byte[] Content, long Parameters) CreateInitialState(TrainingRecipe recipe, ModelSpec spec, LoadedDataset dataset, byte[]? weights)
    {
        using var scope = NewDisposeScope();
        // Modules own their parameters outside any dispose scope: dispose them, or every call leaks the weights.
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec, recipe.Training.Seed);
        if (recipe.Model.InitFrom is { } init)
        {
            StartFrom(model, init, weights!);
        }

        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe.Optimizer, model);
        long parameters = Freezing.Trainable(model).Sum(parameter => parameter.numel());
        return (CheckpointFormat.Write(MetadataFor(recipe, spec, dataset, true, 0, replica: 0, replicaCount: 1), model, optimizer), parameters);
    }

    /// <summary>
    /// Loads the checkpoint a continuing run carries on from into this run's model and optimizer, which checks that
    /// it holds the same model and optimizer; returns the trainable parameter count and the steps per replica it holds.
    /// </summary>
    private static (long Trainable, long ReplicaSteps) CheckContinuation(TrainingRecipe recipe, ModelSpec spec, InitialWeights init, byte[] checkpoint)
    {
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe.Optimizer, model);
        CheckpointMetadata metadata = CheckpointFormat.Read(InitialWeightsSource.CheckpointOf(init), checkpoint, spec.Describe(), model, optimizer, recipe.Optimizer.Name.ToString());
        return (Freezing.Trainable(model).Sum(parameter => parameter.numel()), metadata.Cursor.ReplicaSteps);
    }

    /// <summary>
    /// Copies the matching weights into <paramref name="model"/>. The submission checked them; a mismatch now (the
    /// model's layers changed under the run) fails the run, naming the keys, rather than training from a half-load.
    /// </summary>
    private void StartFrom(nn.Module<Tensor, Tensor> model, InitialWeights init, byte[] weights)
    {
        Dictionary<string, Tensor> source = InitialWeightsSource.Parse(init, weights);
        Dictionary<string, Tensor> state = model.state_dict();
        var match = WeightsMatch.Of(WeightsMatch.ShapesOf(state), WeightsMatch.ShapesOf(source), init.Reinitialize);
        if (match.Problems(init) is { Count: > 0 } problems)
        {
            throw new ModelFileException(string.Join("; ", problems));
        }

        match.Apply(state, source);
        _logger.LogInformation("{Summary}", match.Summary(init));
    }

    private static CheckpointMetadata MetadataFor(TrainingRecipe recipe, ModelSpec spec, LoadedDataset dataset, bool hasOptimizer, long replicaSteps, int replica, int replicaCount)
    {
        int batchesPerEpoch = dataset.Train.BatchesPerEpoch(replica, replicaCount, recipe.Training.BatchSize);
        return CheckpointMetadata.Create(recipe, spec.Describe(), hasOptimizer, DataCursor.For(recipe, replicaSteps, batchesPerEpoch));
    }

    /// <summary>A checkpoint's bytes and how long the store took to hand them over (for <see cref="ExecutorTiming"/>).</summary>
    private async Task<(byte[] Content, double Seconds)> LoadTimedAsync(CheckpointReference checkpoint, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        byte[] content = await _checkpoints.LoadAsync(checkpoint, cancellationToken);
        return (content, clock.Elapsed.TotalSeconds);
    }

    private (byte[] Content, ChunkResult Result) TrainChunk(ChunkCommand command, ModelSpec spec, LoadedDataset dataset, byte[] start, CancellationToken cancellationToken)
    {
        TrainingRecipe recipe = command.Recipe;
        TrainingSection training = recipe.Training;
        var phases = Stopwatch.StartNew();
        using var chunkScope = NewDisposeScope();
        using var randomness = new StepRandomness();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec, randomness);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe.Optimizer, model);
        CheckpointMetadata startMetadata = CheckpointFormat.Read(command.Start, start, spec.Describe(), model, optimizer, recipe.Optimizer.Name.ToString());
        CheckStartFitsChunk(command, startMetadata);
        long replicaSteps = startMetadata.Cursor.ReplicaSteps;
        using ITrainingBatches batches = dataset.Train.OpenTraining(command.Replica, command.ReplicaCount, training.BatchSize, training.Seed);
        double loadMilliseconds = phases.Elapsed.TotalMilliseconds;
        var stopwatch = Stopwatch.StartNew();
        StepsTaken taken = TakeSteps(command, spec, dataset, batches, model, optimizer, randomness, replicaSteps, cancellationToken);
        stopwatch.Stop();
        phases.Restart();
        CheckpointMetadata metadata = MetadataFor(recipe, spec, dataset, true, replicaSteps + command.Steps, command.Replica, command.ReplicaCount);
        byte[] content = CheckpointFormat.Write(metadata, model, optimizer, capacityHint: start.Length);
        _logger.LogDebug("Chunk {Output}: load and build {Load:F1} ms, {Steps} steps {Train:F1} ms, save {Save:F1} ms.",
            command.Output, loadMilliseconds, command.Steps, stopwatch.Elapsed.TotalMilliseconds, phases.Elapsed.TotalMilliseconds);
        var result = new ChunkResult(
            command.Output,
            command.Steps,
            command.Steps > 0 ? taken.LossSum / command.Steps : double.NaN,
            taken.LastLoss,
            taken.Samples,
            stopwatch.Elapsed.TotalSeconds,
            taken.Steps)
        {
            // Measured once the checkpoint's content is serialised, from the weights it holds, while they are in memory.
            Validation = command.Evaluate.Validation ? Measure(model, dataset, EvaluationSplit.Validation) : null,
            Test = command.Evaluate.Test ? Measure(model, dataset, EvaluationSplit.Test) : null,
        };
        return (content, result);
    }

    /// <summary>
    /// Refuses a start checkpoint whose progress or data cursor does not fit the chunk (resuming from it would not
    /// repeat the undisturbed run), and warns when it was written under other hyperparameters.
    /// </summary>
    private void CheckStartFitsChunk(ChunkCommand command, CheckpointMetadata start)
    {
        TrainingSection training = command.Recipe.Training;
        if (start.Cursor.ReplicaSteps != command.ReplicaStepsBefore)
        {
            throw new InvalidOperationException(
                $"Checkpoint {command.Start} holds {start.Cursor.ReplicaSteps} steps of replica data but the chunk expects {command.ReplicaStepsBefore}.");
        }

        if (start.Cursor.ShuffleSeed != training.Seed || start.Cursor.MicroBatchesPerStep != training.GradientAccumulationSteps)
        {
            throw new CheckpointCorruptException(command.Start,
                $"its data cursor was written with seed {start.Cursor.ShuffleSeed} and {start.Cursor.MicroBatchesPerStep} micro-batches per step, but the run uses seed {training.Seed} and {training.GradientAccumulationSteps}");
        }

        string recipeHash = CheckpointMetadata.HashOf(command.Recipe);
        if (start.HyperparameterHash != recipeHash)
        {
            _logger.LogWarning("Checkpoint {Checkpoint} was written under other hyperparameters (hash {Stored}, run {Current}); continuing from its weights and optimizer state.",
                command.Start, start.HyperparameterHash, recipeHash);
        }
    }

    /// <summary>The chunk's optimizer steps, each over its micro-batches, seeded by position so a resumed chunk repeats them.</summary>
    private static StepsTaken TakeSteps(
        ChunkCommand command,
        ModelSpec spec,
        LoadedDataset dataset,
        ITrainingBatches batches,
        nn.Module<Tensor, Tensor> model,
        OptimizerHelper optimizer,
        StepRandomness randomness,
        long replicaSteps,
        CancellationToken cancellationToken)
    {
        TrainingRecipe recipe = command.Recipe;
        TrainingSection training = recipe.Training;
        ILearningTaskObjective objective = TaskObjectives.For(dataset.Task);
        ImageAugmentation? augmentation = ImageAugmentation.For(recipe.Data);
        int microBatches = training.GradientAccumulationSteps;
        bool usesRandomness = spec.HasDropout;
        IReadOnlyList<Parameter> parameters = Freezing.Trainable(model);
        model.train();
        Freezing.HoldInEvalMode(model, recipe.Model.Freeze);
        var taken = new StepsTaken(new List<StepMetric>(command.Steps));
        for (int step = 0; step < command.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            long replicaStep = replicaSteps + step;
            double learningRate = SetLearningRate(optimizer, recipe, command, replicaStep);
            // Dropping the gradients (rather than zero-filling them) saves a pass over every parameter per step;
            // backward then writes fresh gradients instead of accumulating into zeros. PyTorch's default since 2.0.
            model.zero_grad(set_to_none: true);
            double stepLoss = 0;
            for (int micro = 0; micro < microBatches; micro++)
            {
                long microBatch = (replicaStep * microBatches) + micro;
                (Tensor features, Tensor targets) = batches.Read(microBatch);
                if (usesRandomness)
                {
                    randomness.SeedFor(training.Seed, command.Replica, microBatch);
                }

                if (augmentation is not null)
                {
                    features = augmentation.Apply(features, training.Seed, command.Replica, microBatch);
                }

                Tensor loss = objective.Loss(model.call(features), targets);
                // Summed gradients of the mean micro-batch losses, scaled so that the step sees their average.
                (microBatches == 1 ? loss : loss / microBatches).backward();
                stepLoss += loss.item<float>();
                taken.Samples += features.shape[0];
            }

            if (training.GradientClipNorm is { } maxNorm)
            {
                nn.utils.clip_grad_norm_(parameters, maxNorm);
            }

            optimizer.step();
            taken.LastLoss = stepLoss / microBatches;
            taken.LossSum += taken.LastLoss;
            taken.Steps.Add(new StepMetric((replicaStep + 1) * command.ReplicaCount, taken.LastLoss, learningRate));
        }

        return taken;
    }

    // The schedule runs on the global step (replica step x replica count), so K replicas follow the same curve as one.
    private static double SetLearningRate(OptimizerHelper optimizer, TrainingRecipe recipe, ChunkCommand command, long replicaStep)
    {
        long globalStep = replicaStep * command.ReplicaCount;
        double factor = recipe.Schedule.FactorAt(globalStep, Math.Max(command.TotalSteps, globalStep + 1));
        double learningRate = recipe.Optimizer.LearningRate * command.LearningRateScale * factor;
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }

        return learningRate;
    }

    /// <summary>
    /// Averages the replicas' parameters, then for the outer Nesterov strategy takes DiLoCo's outer step from the
    /// round's start. The merged model keeps replica 0's optimizer state, since averaging Adam moments is not
    /// meaningful in general.
    /// </summary>
    private static (byte[] Merged, byte[]? Momentum) Merge(MergeCommand command, ModelSpec spec, LoadedDataset dataset, byte[][] replicas, byte[]? start, byte[]? momentumIn)
    {
        TrainingRecipe recipe = command.Recipe;
        string description = spec.Describe();
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> merged = ModelFactory.Create(spec);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(recipe.Optimizer, merged);
        long replicaSteps = CheckpointFormat.Read(command.Replicas[0], replicas[0], description, merged, optimizer).Cursor.ReplicaSteps;
        byte[]? momentumOut = null;
        using (no_grad())
        {
            AverageOtherReplicasInto(merged, command, spec, replicas, replicaSteps);
            if (start is not null)
            {
                using nn.Module<Tensor, Tensor> momentum = ModelFactory.Create(spec);
                ApplyOuterNesterovStep(merged, momentum, command, spec, start, momentumIn);
                momentumOut = CheckpointFormat.Write(MetadataFor(recipe, spec, dataset, false, replicaSteps, 0, command.Replicas.Count), momentum, null);
            }
        }

        return (CheckpointFormat.Write(MetadataFor(recipe, spec, dataset, true, replicaSteps, 0, command.Replicas.Count), merged, optimizer), momentumOut);
    }

    /// <summary>
    /// Turns <paramref name="merged"/>, holding replica 0, into the replicas' average. Parameters and floating-point
    /// buffers (batch norm's running statistics) are averaged; integer buffers (batch norm's step counter) are equal
    /// across replicas and kept.
    /// </summary>
    private static void AverageOtherReplicasInto(nn.Module<Tensor, Tensor> merged, MergeCommand command, ModelSpec spec, byte[][] replicas, long replicaSteps)
    {
        string description = spec.Describe();
        using nn.Module<Tensor, Tensor> other = ModelFactory.Create(spec);
        Tensor[] mergedState = AveragedState(merged);
        for (int r = 1; r < replicas.Length; r++)
        {
            long otherSteps = CheckpointFormat.Read(command.Replicas[r], replicas[r], description, other, null).Cursor.ReplicaSteps;
            if (otherSteps != replicaSteps)
            {
                throw new InvalidOperationException(
                    $"Replica checkpoints disagree on progress: {command.Replicas[0]} has {replicaSteps} steps, {command.Replicas[r]} has {otherSteps}.");
            }

            Tensor[] otherState = AveragedState(other);
            for (int p = 0; p < mergedState.Length; p++)
            {
                mergedState[p].add_(otherState[p]);
            }
        }

        foreach (Tensor value in mergedState)
        {
            value.div_(replicas.Length);
        }
    }

    /// <summary>
    /// DiLoCo's outer step: the average in <paramref name="merged"/> only defines <c>delta = previous - average</c>;
    /// then <c>m = mu * m + delta</c> and <c>merged = previous - lr * (delta + mu * m)</c>, with <paramref name="momentum"/>
    /// loaded from the last round's (zero at the first) and left holding the new one.
    /// </summary>
    private static void ApplyOuterNesterovStep(nn.Module<Tensor, Tensor> merged, nn.Module<Tensor, Tensor> momentum, MergeCommand command, ModelSpec spec, byte[] start, byte[]? momentumIn)
    {
        string description = spec.Describe();
        Tensor[] mergedParameters = merged.parameters().ToArray();
        using nn.Module<Tensor, Tensor> previous = ModelFactory.Create(spec);
        CheckpointFormat.Read(command.Start!, start, description, previous, null);
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
        double mu = command.Merge.OuterMomentum;
        for (int p = 0; p < mergedParameters.Length; p++)
        {
            using var stepScope = NewDisposeScope();
            Tensor delta = previousParameters[p] - mergedParameters[p];
            momentumParameters[p].mul_(mu).add_(delta);
            mergedParameters[p].copy_(previousParameters[p] - (command.Merge.OuterLearningRate * (delta + (mu * momentumParameters[p]))));
        }
    }

    /// <summary>Tensor work goes to the process's tensor threads, with this executor's libtorch thread count (see <see cref="TensorThreads"/>).</summary>
    private Task<T> OnTensorThreadAsync<T>(Func<T> work, CancellationToken cancellationToken) =>
        TensorThreads.RunAsync(work, _threads, cancellationToken);

    private Task<ModelSpec> SpecOfAsync(TrainingRecipe recipe, LoadedDataset dataset, CancellationToken cancellationToken) =>
        _models.ResolveAsync(recipe.Model, dataset.Shape, cancellationToken);

    private static Tensor[] AveragedState(nn.Module model) =>
        model.parameters().Cast<Tensor>().Concat(model.buffers().Where(buffer => buffer.is_floating_point())).ToArray();

    private EvaluationResult Evaluate(EvaluateCommand command, ModelSpec spec, LoadedDataset dataset, byte[] content)
    {
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec);
        CheckpointFormat.Read(command.Checkpoint, content, spec.Describe(), model, null);
        return Measure(model, dataset, command.Split);
    }

    /// <summary>
    /// The model's loss and scores on a split, in eval mode without gradients. A chunk measures its trained model
    /// here before it is disposed; an evaluation, the model it read from a checkpoint: the same weights give the same
    /// figures either way. Leaves the model in eval mode.
    /// </summary>
    private EvaluationResult Measure(nn.Module<Tensor, Tensor> model, LoadedDataset dataset, EvaluationSplit split)
    {
        IExampleSplit examples = dataset.Split(split);
        using var scope = NewDisposeScope();
        model.eval();
        var stopwatch = Stopwatch.StartNew();
        ITaskEvaluation accumulator = TaskObjectives.For(dataset.Task).StartEvaluation(dataset.Preprocessing);
        using (no_grad())
        {
            examples.ForEachBatch(_options.EvaluationBatchSize, (features, targets) => accumulator.Add(model.call(features), targets));
        }

        return new EvaluationResult(accumulator.Result(), stopwatch.Elapsed.TotalSeconds);
    }
}

/// <summary>What a chunk's steps add up to: the summed and last step losses, the samples seen and each step's metric.</summary>
internal sealed class StepsTaken(List<StepMetric> steps)
{
    public List<StepMetric> Steps { get; } = steps;

    public double LossSum { get; set; }

    public double LastLoss { get; set; } = double.NaN;

    public long Samples { get; set; }
}
