using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Shards;
using DurableTrainer.TestSupport;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Data larger than a worker holds: a folder of shards (data.sharded), surveyed once and streamed through a bounded
/// cache while training, with a cursor that resumes exactly in another process.
/// </summary>
public sealed class ShardedDataTests : IDisposable
{
    private readonly ExecutorHarness _harness = new(shardsInMemory: 2);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void ShardedBatchOrder_CoversEveryExampleOncePerEpoch_AcrossReplicas_AndBatchesSpanShards()
    {
        int[] sizes = [7, 0, 12, 5, 9];
        var seen = new List<(int Shard, long Row)>();
        bool spanned = false;
        for (int replica = 0; replica < 3; replica++)
        {
            var order = new ShardedBatchOrder(sizes, replica, 3, batchSize: 4, seed: 2);
            for (long batch = 0; batch < order.BatchesPerEpoch; batch++)
            {
                IReadOnlyList<ShardRows> parts = order.RowsFor(batch);
                spanned |= parts.Count > 1;
                seen.AddRange(parts.SelectMany(part => part.Rows.Select(row => (part.Shard, row))));
            }

            Assert.Equal(ShardedBatchOrder.BatchesPerEpochFor(sizes, replica, 3, 4), order.BatchesPerEpoch);
        }

        Assert.True(spanned);
        Assert.Equal(33, seen.Count);
        Assert.Equal(33, seen.Distinct().Count());
        Assert.All(seen, example => Assert.InRange(example.Row, 0, sizes[example.Shard] - 1));
    }

    [Fact]
    public void ShardedBatchOrder_ResumedAtAnyBatch_GivesWhatAFreshCursorGives_AndReshufflesEachEpoch()
    {
        int[] sizes = [10, 10, 10, 10];
        var continuous = new ShardedBatchOrder(sizes, 0, 1, 6, seed: 9);
        var batches = Enumerable.Range(0, 3 * continuous.BatchesPerEpoch).Select(b => continuous.RowsFor(b)).ToArray();

        for (int at = 0; at < batches.Length; at += 5)
        {
            var resumed = new ShardedBatchOrder(sizes, 0, 1, 6, seed: 9);
            Assert.Equal(Flatten(batches[at]), Flatten(resumed.RowsFor(at)));
        }

        int perEpoch = continuous.BatchesPerEpoch;
        Assert.NotEqual(Flatten(batches[0]), Flatten(batches[perEpoch]));
        int next = new ShardedBatchOrder(sizes, 0, 1, 6, seed: 9).NextShardAfter(perEpoch - 1);
        Assert.Equal(batches[perEpoch][0].Shard, next);
    }

    [Fact]
    public void ShardCache_DropsTheLeastRecentlyUsedIdleShard_NeverALeasedOne()
    {
        using var cache = new ShardCache(2);
        int loads = 0;
        Task<ShardTensors> Load()
        {
            Interlocked.Increment(ref loads);
            return Task.FromResult(new ShardTensors(ones(3, 2), zeros(3, ScalarType.Int64)));
        }

        using (ShardCache.ShardLease held = cache.Acquire("a", Load))
        {
            Assert.Equal(3, held.Tensors.Count);
            foreach (string other in new[] { "b", "c", "d" })
            {
                using ShardCache.ShardLease lease = cache.Acquire(other, Load);
                _ = lease.Tensors;
            }

            Assert.Equal(2, cache.Count);
            using ShardCache.ShardLease again = cache.Acquire("a", Load);
            Assert.Equal(3, again.Tensors.Count);
        }

        Assert.Equal(4, loads);
        ShardCache.ShardLease failing = cache.Acquire("bad", () => Task.FromException<ShardTensors>(new DatasetException("broken shard")));
        Assert.Throws<DatasetException>(() => failing.Tensors);
        failing.Dispose();
        using ShardCache.ShardLease retried = cache.Acquire("bad", Load);
        Assert.Equal(3, retried.Tensors.Count);
        Assert.Equal(5, loads);
    }

    [Fact]
    public async Task Shards_AreSurveyedWhole_StandardizedLikeTheSameDataInOneFile_AndHeldOutAsWholeShards()
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(800, size: 2);
        PutShards("big/", features, labels, shards: 8, width: 4);
        _harness.DataFiles.Put("whole/train.npz", Npz(features, labels, 0, 800, 4));

        DatasetCheck sharded = await _harness.Datasets.CheckAsync(new DataSection(Source: "big/", Sharded: true));
        Assert.Empty(sharded.Errors);
        Assert.Equal(new DataShape([4], 4), sharded.Shape);
        LoadedDataset dataset = await _harness.Datasets.GetAsync(sharded.Data!);
        // 8 shards of 100: round(8 x 0.2) = 2 for test, round(6 x 0.1) = 1 for validation, 5 to train.
        Assert.Equal((500, 100, 200), (dataset.Train.Count, dataset.Validation.Count, dataset.Test.Count));
        var split = Assert.IsType<ShardedSplit>(dataset.Train);
        Assert.Empty(split.Shards.Select(shard => shard.Path).Intersect(((ShardedSplit)dataset.Test).Shards.Select(shard => shard.Path)));

        // The same training shards concatenated, loaded whole: the same statistics.
        int[] trainShards = split.Shards.Select(shard => int.Parse(shard.Path[^7..^4], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        float[] trainFeatures = trainShards.SelectMany(shard => features.Skip(shard * 400).Take(400)).ToArray();
        long[] trainLabels = trainShards.SelectMany(shard => labels.Skip(shard * 100).Take(100)).ToArray();
        _harness.DataFiles.Put("whole/only-train.npz", Npz(trainFeatures, trainLabels, 0, 500, 4));
        _harness.DataFiles.Put("whole/test.npz", Npz(features, labels, 0, 100, 4));
        DatasetCheck whole = await _harness.Datasets.CheckAsync(new DataSection(Source: "whole/only-train.npz", Test: "whole/test.npz", Validation: "whole/test.npz"));
        Preprocessing held = (await _harness.Datasets.GetAsync(whole.Data!)).Preprocessing;
        Assert.Equal(held.FeatureMean, dataset.Preprocessing.FeatureMean, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(held.FeatureStd, dataset.Preprocessing.FeatureStd, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(held.ClassNames, dataset.Preprocessing.ClassNames);
    }

    [Fact]
    public async Task ShardedTraining_HoldsAtMostTheCacheCapacity_Learns_AndResumesBitwiseInAFreshProcess()
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(1200, size: 2);
        PutShards("q/", features, labels, shards: 12, width: 4);
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "q/", Sharded: true));
        TrainingRecipe recipe = Recipe(check.Data!);
        CheckpointReference start = await _harness.InitializeAsync("sharded", recipe);

        // 150 steps of 32 cross every one of the 8 training shards (800 examples) six times.
        ChunkResult whole = await _harness.ChunkAsync(recipe, start, "whole", 0, 150);
        Assert.InRange(_harness.Datasets.ShardsHeld, 1, 2);
        EvaluationMetrics test = (await _harness.Executor.EvaluateAsync(new EvaluateCommand(whole.Checkpoint, recipe, EvaluationSplit.Test))).Metrics;
        Assert.Equal(200, test.Examples);
        Assert.True(test.Value(MonitorMetric.Accuracy) > 0.9, $"accuracy {test.Value(MonitorMetric.Accuracy)}");
        Assert.InRange(_harness.Datasets.ShardsHeld, 1, 2);

        // The second half runs in another "process": a new provider and cache that must survey and stream afresh.
        using ExecutorHarness other = AnotherProcessWithTheSameData();

        ChunkResult first = await _harness.ChunkAsync(recipe, start, "first", 0, 70);
        other.Store.Blobs[first.Checkpoint] = _harness.Store.Blobs[first.Checkpoint];
        ChunkResult second = await other.ChunkAsync(recipe, first.Checkpoint, "second", 70, 80);
        Assert.Equal(_harness.Store.Blobs[whole.Checkpoint], other.Store.Blobs[second.Checkpoint]);
    }

    [Fact]
    public async Task TwoReplicas_ShareTheShards_AndSplitTheExamplesBetweenThem()
    {
        // Given test and validation files inside the folder are not trained on: 4 shards of 100 remain, 200 per replica.
        (DataSection data, TrainingRecipe recipe, CheckpointReference start) = await SixShardsInitializedAsync("r/", "replicas");

        ChunkResult zero = await _harness.ChunkAsync(recipe, start, "r0", 0, 20, replica: 0, replicas: 2);
        ChunkResult one = await _harness.ChunkAsync(recipe, start, "r1", 0, 20, replica: 1, replicas: 2);

        // Epochs of 7 batches (6 of 32 and one of 8): 20 steps are two epochs and 6 full batches.
        Assert.Equal((2 * 200) + (6 * 32), zero.Samples);
        Assert.Equal(400, (await _harness.Datasets.GetAsync(data)).Train.Count);
        Assert.NotEqual(_harness.Store.Blobs[zero.Checkpoint], _harness.Store.Blobs[one.Checkpoint]);
    }

    [Fact]
    public async Task CsvShards_WithCategoriesSpreadOverShards_ShareOneEncoding()
    {
        _harness.DataFiles.Put("t/a.csv", "x,colour,label\n1,red,a\n2,red,b\n3,red,a\n4,red,b\n");
        _harness.DataFiles.Put("t/b.csv", "x,colour,label\n5,blue,a\n6,green,b\n7,blue,a\n8,green,b\n");
        _harness.DataFiles.Put("t/c.csv", "x,colour,label\n9,red,a\n10,blue,b\n");
        _harness.DataFiles.Put("t/d.csv", "x,colour,label\n11,green,a\n12,red,b\n");

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "t/", Sharded: true, Label: "label", Categorical: ["colour"], Test: "t/c.csv", Validation: "t/d.csv"));

        Assert.Empty(check.Errors);
        Assert.Equal(new DataShape([4], 2), check.Shape);
        LoadedDataset dataset = await _harness.Datasets.GetAsync(check.Data!);
        Assert.Equal(new[] { "x", "colour=blue", "colour=green", "colour=red" }, dataset.Preprocessing.FeatureNames);
    }

    [Fact]
    public async Task ShardedData_BadInput_NamesTheFieldOrTheShard()
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(300, size: 2);
        PutShards("few/", features, labels, shards: 2, width: 4);
        features[(2 * 100 * 4) + 5] = float.NaN;
        PutShards("nan/", features, labels, shards: 3, width: 4);
        _harness.DataFiles.Put("img/a/1.png", DataFiles.QuadrantImage(0, 8, 8, gray: true, seed: 1));

        ValidationError few = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "few/", Sharded: true))).Errors);
        ValidationError nan = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "nan/", Sharded: true))).Errors);
        ValidationError images = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "img/", Sharded: true))).Errors);
        IReadOnlyList<ValidationError> file = new DataSection(Source: "few/part-000.npz", Sharded: true).Validate();

        Assert.Equal("data.validationFraction", few.Field);
        Assert.Contains("as whole shards", few.Rule, StringComparison.Ordinal);
        Assert.Contains("'nan/part-002.npz' example 1, feature 1", nan.Rule, StringComparison.Ordinal);
        Assert.Equal("data.sharded", images.Field);
        Assert.Equal("data.sharded", Assert.Single(file).Field);
    }

    [Fact]
    public async Task RegressionShards_WithAnotherTargetCount_NameTheShard()
    {
        float[] features = Enumerable.Range(0, 40).Select(i => (float)i).ToArray();
        float[] one = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        float[] two = Enumerable.Range(0, 20).Select(i => (float)i).ToArray();
        for (int shard = 0; shard < 3; shard++)
        {
            _harness.DataFiles.Put($"reg/part-{shard}.npz", DataFiles.Npz(("x", DataFiles.Npy(features, 10, 4)), ("y", DataFiles.Npy(one, 10))));
        }

        _harness.DataFiles.Put("reg/part-3.npz", DataFiles.Npz(("x", DataFiles.Npy(features, 10, 4)), ("y", DataFiles.Npy(two, 10, 2))));
        _harness.DataFiles.Put("reg-test.npz", DataFiles.Npz(("x", DataFiles.Npy(features, 10, 4)), ("y", DataFiles.Npy(one, 10))));

        ValidationError error = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(
            Source: "reg/", Sharded: true, Task: LearningTask.Regression, Test: "reg-test.npz", Validation: "reg-test.npz"))).Errors);

        Assert.Equal("data.source", error.Field);
        Assert.Contains("'reg/part-3.npz' has 2 label(s) per example but 'reg/part-0.npz' has 1", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShardChangedAfterSubmission_FailsTheChunkOfANewProcess_WithThePinnedDigest()
    {
        (DataSection data, TrainingRecipe recipe, CheckpointReference start) = await SixShardsInitializedAsync("c/", "changed");
        (float[] features, long[] labels) = DataFiles.QuadrantImages(600, size: 2);
        using ExecutorHarness other = AnotherProcessWithTheSameData();

        other.Store.Blobs[start] = _harness.Store.Blobs[start];
        other.DataFiles.Put("c/part-004.npz", Npz(features, labels, 0, 100, 4));

        var error = await Assert.ThrowsAsync<DatasetException>(() => other.ChunkAsync(recipe, start, "trained", 0, 10));
        Assert.Contains("changed after submission", error.Message, StringComparison.Ordinal);
        Assert.Contains(data.Sha256!, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Six shards of 100 quadrant examples under <paramref name="folder"/>, the first the test file and the second the validation file, checked and initialized.</summary>
    private async Task<(DataSection Data, TrainingRecipe Recipe, CheckpointReference Start)> SixShardsInitializedAsync(string folder, string runId)
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(600, size: 2);
        PutShards(folder, features, labels, shards: 6, width: 4);
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: folder, Sharded: true, Test: $"{folder}part-000.npz", Validation: $"{folder}part-001.npz"));
        Assert.Empty(check.Errors);
        TrainingRecipe recipe = Recipe(check.Data!);
        return (check.Data!, recipe, await _harness.InitializeAsync(runId, recipe));
    }

    /// <summary>Another worker process's view: the same dataset store's files, a new provider and shard cache.</summary>
    private ExecutorHarness AnotherProcessWithTheSameData()
    {
        var other = new ExecutorHarness(shardsInMemory: 2);
        foreach ((string path, byte[] content) in _harness.DataFiles.Files())
        {
            other.DataFiles.Put(path, content);
        }

        return other;
    }

    private static TrainingRecipe Recipe(DataSection data) => TrainingRecipe.From(TrainingSpecification.Create(
        data: data,
        model: new ModelSection("mlp"),
        optimizer: new OptimizerSection(OptimizerKind.Adam, LearningRate: 0.01),
        training: new TrainingSection(BatchSize: 32)).GetValueOrThrow());

    private void PutShards(string folder, float[] features, long[] labels, int shards, int width)
    {
        int per = labels.Length / shards;
        for (int shard = 0; shard < shards; shard++)
        {
            _harness.DataFiles.Put($"{folder}part-{shard:D3}.npz", Npz(features, labels, shard * per, per, width));
        }
    }

    private static byte[] Npz(float[] features, long[] labels, int from, int count, int width) => DataFiles.Npz(
        ("x", DataFiles.Npy(features.Skip(from * width).Take(count * width).ToArray(), count, width)),
        ("y", DataFiles.Npy(labels.Skip(from).Take(count).ToArray(), count)));

    private static long[] Flatten(IReadOnlyList<ShardRows> parts) => parts.SelectMany(part => part.Rows.Select(row => (part.Shard * 1000L) + row)).ToArray();
}
