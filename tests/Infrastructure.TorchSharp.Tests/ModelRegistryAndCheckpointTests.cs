using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

public sealed class ModelRegistryAndCheckpointTests : IDisposable
{
    private static readonly TrainingRecipe Mlp = Recipe(Architecture("mlp", ("hiddenUnits", 48)), training: new TrainingSection(BatchSize: 32, Seed: 5));
    private static readonly TrainingRecipe RegularizedMlp = Mlp with { Model = Architecture("mlp", ("hiddenUnits", 48), ("hiddenLayers", 2), ("batchNorm", 1), ("dropout", 0.3)) };
    private static readonly TrainingRecipe RegularizedCnn = Recipe(
        Architecture("cnn", ("convChannels", 4), ("batchNorm", 1), ("dropout", 0.25)),
        new OptimizerSection(OptimizerKind.Sgd, LearningRate: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4),
        new TrainingSection(BatchSize: 16, Seed: 9));

    private readonly ExecutorHarness _harness = new();

    private InMemoryCheckpointStore Store => _harness.Store;

    private TorchSharpTrainingExecutor Executor => _harness.Executor;

    public void Dispose() => _harness.Dispose();

    private Task<CheckpointReference> InitializeAsync(string runId, TrainingRecipe recipe) => _harness.InitializeAsync(runId, recipe);

    private Task<ChunkResult> ChunkAsync(TrainingRecipe recipe, CheckpointReference start, string output, long before, int steps, int replica = 0, int replicas = 1, ForeseenEvaluations? evaluate = null) =>
        _harness.ChunkAsync(recipe, start, output, before, steps, replica, replicas, evaluate);

    public static TheoryData<string> RegularizedModels => new() { "mlp", "cnn" };

    private static TrainingRecipe Regularized(string name) => name == "mlp" ? RegularizedMlp : RegularizedCnn;

    [Theory]
    [MemberData(nameof(RegularizedModels))]
    public async Task WithBatchNormAndDropout_TwoChunksAreBitwiseOneChunkOfBothLengths(string name)
    {
        TrainingRecipe recipe = Regularized(name);
        var start = await InitializeAsync("resume-" + name, recipe);

        var whole = await ChunkAsync(recipe, start, "whole", 0, 24);
        var firstHalf = await ChunkAsync(recipe, start, "half-1", 0, 12);
        var secondHalf = await ChunkAsync(recipe, firstHalf.Checkpoint, "half-2", 12, 12);

        Assert.Equal(Store.Blobs[whole.Checkpoint], Store.Blobs[secondHalf.Checkpoint]);
    }

    [Theory]
    [MemberData(nameof(RegularizedModels))]
    public async Task AChunkAskedToMeasureItsOutput_ReportsWhatEvaluatingTheWrittenCheckpointReportsAndWritesTheSameCheckpoint(string name)
    {
        // Batch norm and dropout are what differ between training and eval mode: the in-memory model must be measured
        // as the written checkpoint would be, and measuring must not touch what the chunk writes.
        TrainingRecipe recipe = Regularized(name);
        var start = await InitializeAsync("measure-" + name, recipe);
        var plain = await ChunkAsync(recipe, start, "plain", 0, 6);
        var measuring = await ChunkAsync(recipe, start, "measured", 0, 6, evaluate: new ForeseenEvaluations(Validation: true, Test: true));

        Assert.Equal(Store.Blobs[plain.Checkpoint], Store.Blobs[measuring.Checkpoint]);
        Assert.Null(plain.Validation);
        foreach ((EvaluationSplit split, EvaluationResult? measured) in new[] { (EvaluationSplit.Validation, measuring.Validation), (EvaluationSplit.Test, measuring.Test) })
        {
            EvaluationResult evaluated = await Executor.EvaluateAsync(new EvaluateCommand(measuring.Checkpoint, recipe, split));
            Assert.NotNull(measured);
            Assert.Equal(evaluated.Metrics.Loss, measured.Metrics.Loss);
            Assert.Equal(evaluated.Metrics.Examples, measured.Metrics.Examples);
            Assert.Equal(evaluated.Metrics.Scores, measured.Metrics.Scores);
        }

        Assert.NotEqual(measuring.Validation!.Metrics.Examples, measuring.Test!.Metrics.Examples);
    }

    [Fact]
    public async Task Dropout_ChangesTrainingButNotEvaluation()
    {
        TrainingRecipe withDropout = Mlp with { Model = Architecture("mlp", ("hiddenUnits", 48), ("dropout", 0.5)) };
        var plainStart = await InitializeAsync("plain", Mlp);
        var dropoutStart = await InitializeAsync("dropout", withDropout);
        // Dropout has no parameters, so both models start from the same weights and evaluate the same.
        Assert.Equal(
            (await Executor.EvaluateAsync(new EvaluateCommand(plainStart, Mlp))).Loss,
            (await Executor.EvaluateAsync(new EvaluateCommand(dropoutStart, withDropout))).Loss);

        var plain = await ChunkAsync(Mlp, plainStart, "trained", 0, 5);
        var dropped = await ChunkAsync(withDropout, dropoutStart, "trained", 0, 5);

        Assert.NotEqual(plain.MeanLoss, dropped.MeanLoss);
        var evaluatedTwice = new[]
        {
            await Executor.EvaluateAsync(new EvaluateCommand(dropped.Checkpoint, withDropout)),
            await Executor.EvaluateAsync(new EvaluateCommand(dropped.Checkpoint, withDropout)),
        };
        Assert.Equal(evaluatedTwice[0], evaluatedTwice[1] with { Seconds = evaluatedTwice[0].Seconds, Timing = evaluatedTwice[0].Timing });
    }

    [Fact]
    public async Task GradientAccumulation_OfTwoHalfBatches_MatchesOneFullBatch()
    {
        // Micro-batches 2k and 2k+1 of 16 cover exactly batch k of 32 (one shuffled order per epoch), so the summed
        // gradients of the halved losses are the full batch's gradient up to float rounding.
        // A validation fraction of 1/8 leaves 896 of the 1024 examples: whole batches of 32, so no short last batch weighs its halves unevenly.
        TrainingRecipe full = Mlp with
        {
            Data = new DataSection(DatasetKind.Synthetic, ValidationFraction: 0.125),
            Training = Mlp.Training with { BatchSize = 32 },
            Optimizer = new OptimizerSection(OptimizerKind.Sgd, LearningRate: 0.1, Momentum: 0),
        };
        TrainingRecipe accumulated = full with { Training = full.Training with { BatchSize = 16, GradientAccumulationSteps = 2 } };
        var fullStart = await InitializeAsync("full", full);
        var accumulatedStart = await InitializeAsync("accumulated", accumulated);

        var fullChunk = await ChunkAsync(full, fullStart, "trained", 0, 40);
        var accumulatedChunk = await ChunkAsync(accumulated, accumulatedStart, "trained", 0, 40);

        Assert.Equal(fullChunk.Samples, accumulatedChunk.Samples);
        Assert.Equal(fullChunk.MeanLoss, accumulatedChunk.MeanLoss, 4);
        using var scope = NewDisposeScope();
        Tensor[] left = Parameters(Store.Blobs[fullChunk.Checkpoint], full);
        Tensor[] right = Parameters(Store.Blobs[accumulatedChunk.Checkpoint], accumulated);
        Assert.All(left.Zip(right), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 1e-4, atol: 1e-5)));
        Assert.NotEqual(Store.Blobs[fullStart], Store.Blobs[fullChunk.Checkpoint]);
    }

    [Fact]
    public async Task Checkpoint_DescribesItsWriterSpecHyperparametersAndDataCursor()
    {
        var start = await InitializeAsync("metadata", Mlp);
        var chunk = await ChunkAsync(Mlp, start, "trained", 0, 40);

        CheckpointMetadata metadata = CheckpointFormat.ReadMetadata(chunk.Checkpoint, Store.Blobs[chunk.Checkpoint]);

        Assert.Equal(CheckpointFormat.FormatVersion, metadata.FormatVersion);
        Assert.Equal(SpecOf(Mlp).Describe(), metadata.ModelSpec);
        Assert.Equal("Adam", metadata.Optimizer);
        Assert.Equal(CheckpointMetadata.HashOf(Mlp), metadata.HyperparameterHash);
        Assert.NotEqual(CheckpointMetadata.HashOf(Mlp with { Optimizer = Mlp.Optimizer with { LearningRate = 2e-3 } }), metadata.HyperparameterHash);
        Assert.StartsWith("0.107", metadata.TorchSharpVersion, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(metadata.LibTorchVersion));
        // 1024 examples in batches of 32 are 32 batches an epoch: 40 steps end 8 batches into the second epoch.
        // 1024 synthetic examples less the 10 % validation hold-out leave 922: 29 batches of 32 per epoch.
        Assert.Equal(new DataCursor(40, 1, Mlp.Training.Seed, 1, 11), metadata.Cursor);
    }

    public static TheoryData<string> Damages => new() { "truncated", "flipped-byte", "empty" };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task DamagedCheckpoint_IsRejectedNamingItAndWhy(string damage)
    {
        var start = await InitializeAsync("damage", Mlp);
        var chunk = await ChunkAsync(Mlp, start, "round-000001/replica-00", 0, 3);
        byte[] content = Store.Blobs[chunk.Checkpoint];
        Store.Blobs[chunk.Checkpoint] = damage switch
        {
            "truncated" => content[..(content.Length / 2)],
            "flipped-byte" => Flip(content, content.Length / 2),
            _ => [],
        };

        var error = await Assert.ThrowsAsync<CheckpointCorruptException>(() => Executor.EvaluateAsync(new EvaluateCommand(chunk.Checkpoint, Mlp)));

        Assert.Contains("damage/round-000001/replica-00", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckpointOfAModelWithoutBatchNorm_DoesNotLoadIntoOneWithIt()
    {
        var start = await InitializeAsync("spec", Mlp);

        TrainingRecipe withBatchNorm = Mlp with { Model = Architecture("mlp", ("hiddenUnits", 48), ("batchNorm", 1)) };

        var error = await Assert.ThrowsAsync<CheckpointCorruptException>(() => ChunkAsync(withBatchNorm, start, "x", 0, 1));

        Assert.Contains("holds model " + SpecOf(Mlp).Describe(), error.Message, StringComparison.Ordinal);
        Assert.Contains("the run uses " + SpecOf(withBatchNorm).Describe(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("batchnorm", SpecOf(Mlp).Describe(), StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"batchnorm\",\"name\":\"bn1\"}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckpointOfAnotherOptimizer_IsRefusedNamingBoth()
    {
        var start = await InitializeAsync("optimizer", Mlp);

        var error = await Assert.ThrowsAsync<CheckpointCorruptException>(() => ChunkAsync(Mlp with { Optimizer = Mlp.Optimizer with { Name = OptimizerKind.AdamW } }, start, "x", 0, 1));

        Assert.Contains("holds Adam optimizer state but the run uses AdamW", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_BuildsTheNamedLayersWithTheRequestedSizes()
    {
        using var mlp = ModelFactory.Create(SpecOf(RegularizedMlp));
        using var cnn = ModelFactory.Create(SpecOf(RegularizedCnn));

        Assert.Equal(["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "fc2.weight", "fc2.bias", "bn2.weight", "bn2.bias", "fc3.weight", "fc3.bias"],
            mlp.named_parameters().Select(pair => pair.name));
        Assert.Equal(new long[] { 48, 784 }, mlp.named_parameters().First().parameter.shape);
        Assert.Contains("bn1.running_mean", mlp.state_dict().Keys);
        Assert.Equal(new long[] { 8, 4, 3, 3 }, cnn.named_parameters().Single(pair => pair.name == "conv2.weight").parameter.shape);
        Assert.Equal(new long[] { 16, 8 * 7 * 7 }, cnn.named_parameters().Single(pair => pair.name == "fc1.weight").parameter.shape);
        var unknown = Assert.Throws<ArgumentException>(() => ModelRegistry.BuiltIn.Resolve(new ModelSection("vgg"), Synthetic));
        Assert.Contains("model.architecture", unknown.Message, StringComparison.Ordinal);
    }

    private static byte[] Flip(byte[] content, int index)
    {
        byte[] copy = (byte[])content.Clone();
        copy[index] ^= 0x01;
        return copy;
    }
}
