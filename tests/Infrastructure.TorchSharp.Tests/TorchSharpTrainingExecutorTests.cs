using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

public sealed class TorchSharpTrainingExecutorTests : IDisposable
{
    private static readonly TrainingRecipe Mlp = Recipe(Architecture("mlp", ("hiddenUnits", 64)), training: new TrainingSection(BatchSize: 32, Seed: 3));

    private readonly ExecutorHarness _harness = new();

    private InMemoryCheckpointStore Store => _harness.Store;

    private TorchSharpTrainingExecutor Executor => _harness.Executor;

    public void Dispose() => _harness.Dispose();

    private Task<CheckpointReference> InitializeAsync(string runId, TrainingRecipe recipe) => _harness.InitializeAsync(runId, recipe);

    private Task<ChunkResult> ChunkAsync(TrainingRecipe recipe, CheckpointReference start, string output, long before, int steps, int replica = 0, int replicas = 1) =>
        _harness.ChunkAsync(recipe, start, output, before, steps, replica, replicas);

    [Fact]
    public async Task Initialize_SameSeed_GivesIdenticalWeights()
    {
        var first = await InitializeAsync("a", Mlp);
        var second = await InitializeAsync("b", Mlp);

        Assert.Equal(Store.Blobs[first], Store.Blobs[second]);
    }

    [Fact]
    public async Task TrainingOnSyntheticData_ReachesAccuracyFarAboveChance()
    {
        var start = await InitializeAsync("learn", Mlp);
        var before = await Executor.EvaluateAsync(new EvaluateCommand(start, Mlp, EvaluationSplit.Test));

        var chunk = await ChunkAsync(Mlp, start, "trained", 0, 150);
        var after = await Executor.EvaluateAsync(new EvaluateCommand(chunk.Checkpoint, Mlp, EvaluationSplit.Test));

        Assert.InRange(before.Accuracy, 0.0, 0.3);
        Assert.True(after.Accuracy > 0.6, $"accuracy {after.Accuracy}");
        Assert.True(after.Loss < before.Loss);
        Assert.Equal(500, after.Examples);
        // 922 training examples (1024 less the validation tenth) make 28 batches of 32 and one of 26 per epoch, so
        // 150 steps cross five short batches.
        Assert.Equal((150 * 32) - (5 * 6), chunk.Samples);
    }

    [Fact]
    public async Task RunChunk_ReportsEachStepsLossAndLearningRate_OnTheGlobalStepAxis()
    {
        TrainingRecipe warmup = Mlp with { Schedule = new ScheduleSection(LearningRateSchedule.LinearWarmup, WarmupSteps: 20) };
        var start = await InitializeAsync("steps", warmup);
        var first = await ChunkAsync(warmup, start, "round-000001/replica-01", 0, 2, replica: 1, replicas: 2);

        var chunk = await ChunkAsync(warmup, first.Checkpoint, "round-000002/replica-01", 2, 3, replica: 1, replicas: 2);

        // Replica steps 3..5 of 2 replicas are global steps 6, 8, 10; each step's rate is the schedule's before it.
        Assert.Equal(new long[] { 6, 8, 10 }, chunk.StepMetrics!.Select(step => step.Step));
        double[] expected = [.. new long[] { 4, 6, 8 }.Select(global => 1e-3 * Domain.Decisions.LearningRateSchedules.Factor(LearningRateSchedule.LinearWarmup, global, global + 1, 20, 1000, 0.5, 0))];
        Assert.Equal(expected, chunk.StepMetrics!.Select(step => step.LearningRate), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(chunk.MeanLoss, chunk.StepMetrics!.Average(step => step.Loss), 9);
        Assert.Equal(chunk.LastLoss, chunk.StepMetrics![^1].Loss);
    }

    [Fact]
    public async Task TwoChunks_GiveBitwiseTheSameCheckpointAsOneChunkOfBothLengths()
    {
        var start = await InitializeAsync("resume", Mlp);

        var whole = await ChunkAsync(Mlp, start, "whole", 0, 40);
        var firstHalf = await ChunkAsync(Mlp, start, "half-1", 0, 20);
        var secondHalf = await ChunkAsync(Mlp, firstHalf.Checkpoint, "half-2", 20, 20);

        Assert.Equal(Store.Blobs[whole.Checkpoint], Store.Blobs[secondHalf.Checkpoint]);
    }

    [Fact]
    public async Task RunChunk_Retried_OverwritesItsOwnOutputWithTheSameBytes()
    {
        var start = await InitializeAsync("retry", Mlp);

        var first = await ChunkAsync(Mlp, start, "round-000001/replica-00", 0, 10);
        byte[] firstBytes = Store.Blobs[first.Checkpoint];
        var again = await ChunkAsync(Mlp, start, "round-000001/replica-00", 0, 10);

        Assert.Equal(first.Checkpoint, again.Checkpoint);
        Assert.Equal(firstBytes, Store.Blobs[again.Checkpoint]);
        Assert.Equal(2, Store.Blobs.Count);
    }

    [Fact]
    public async Task RunChunk_FromACheckpointWithOtherProgress_IsRefused()
    {
        var start = await InitializeAsync("cursor", Mlp);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ChunkAsync(Mlp, start, "x", before: 5, steps: 1));

        Assert.Contains("expects 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunChunk_FromACheckpointOfAnotherModel_FailsAsCorrupt()
    {
        var start = await InitializeAsync("spec", Mlp);

        TrainingRecipe narrower = Mlp with { Model = Architecture("mlp", ("hiddenUnits", 32)) };

        var error = await Assert.ThrowsAsync<CheckpointCorruptException>(() => ChunkAsync(narrower, start, "x", 0, 1));

        Assert.Contains("holds model " + SpecOf(Mlp).Describe(), error.Message, StringComparison.Ordinal);
        Assert.Contains("the run uses " + SpecOf(narrower).Describe(), error.Message, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"fc1\",\"units\":64", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"fc1\",\"units\":32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_OfIdenticalReplicas_IsThatReplica()
    {
        var start = await InitializeAsync("merge", Mlp);
        var replica = await ChunkAsync(Mlp, start, "r0", 0, 5);
        Store.Blobs[new CheckpointReference(RunId.Parse("merge"), "r1")] = Store.Blobs[replica.Checkpoint];

        var merged = await Executor.MergeAsync(new MergeCommand([replica.Checkpoint, new CheckpointReference(RunId.Parse("merge"), "r1")], new CheckpointReference(RunId.Parse("merge"), "m"), Mlp, new ReplicaSection(2)));

        Assert.Equal(Store.Blobs[replica.Checkpoint], Store.Blobs[merged]);
    }

    [Fact]
    public async Task Merge_OfTwoReplicas_AveragesTheirWeightsAndEvaluates()
    {
        var start = await InitializeAsync("avg", Mlp);
        var r0 = await ChunkAsync(Mlp, start, "r0", 0, 60, replica: 0, replicas: 2);
        var r1 = await ChunkAsync(Mlp, start, "r1", 0, 60, replica: 1, replicas: 2);

        var merged = await Executor.MergeAsync(new MergeCommand([r0.Checkpoint, r1.Checkpoint], new CheckpointReference(RunId.Parse("avg"), "m"), Mlp, new ReplicaSection(2)));
        var evaluation = await Executor.EvaluateAsync(new EvaluateCommand(merged, Mlp));

        Assert.NotEqual(Store.Blobs[r0.Checkpoint], Store.Blobs[merged]);
        Assert.True(evaluation.Accuracy > 0.3, $"accuracy {evaluation.Accuracy}");
    }

    [Fact]
    public async Task Cnn_TrainsAChunkAndEvaluates()
    {
        var cnn = Mlp with { Model = Architecture("cnn") };
        var start = await InitializeAsync("cnn", cnn);

        var chunk = await ChunkAsync(cnn, start, "c", 0, 60);
        var evaluation = await Executor.EvaluateAsync(new EvaluateCommand(chunk.Checkpoint, cnn));

        Assert.True(double.IsFinite(chunk.MeanLoss));
        Assert.True(evaluation.Accuracy > 0.2, $"accuracy {evaluation.Accuracy}");
    }

    [Fact]
    public async Task OuterNesterov_WithUnitLearningRateAndNoMomentum_EqualsThePlainAverage()
    {
        var start = await InitializeAsync("outer", Mlp);
        var r0 = await ChunkAsync(Mlp, start, "r0", 0, 20, replica: 0, replicas: 2);
        var r1 = await ChunkAsync(Mlp, start, "r1", 0, 20, replica: 1, replicas: 2);
        CheckpointReference[] replicas = [r0.Checkpoint, r1.Checkpoint];

        var average = await Executor.MergeAsync(new MergeCommand(replicas, new CheckpointReference(RunId.Parse("outer"), "avg"), Mlp, new ReplicaSection(2)));
        var outer = await Executor.MergeAsync(new MergeCommand(replicas, new CheckpointReference(RunId.Parse("outer"), "nesterov"), Mlp,
            new ReplicaSection(2, MergeStrategy.OuterNesterov, OuterLearningRate: 1.0, OuterMomentum: 0.0), start, MomentumIn: null, MomentumOut: new CheckpointReference(RunId.Parse("outer"), "momentum")));

        Assert.True(ParametersClose(Store.Blobs[average], Store.Blobs[outer], Mlp));
        Assert.True(Store.Blobs.ContainsKey(new CheckpointReference(RunId.Parse("outer"), "momentum")));
    }

    [Fact]
    public async Task OuterNesterov_WithMomentum_MovesFurtherThanTheAverageAlongTheSameDirection()
    {
        var start = await InitializeAsync("outer2", Mlp);
        var r0 = await ChunkAsync(Mlp, start, "r0", 0, 20, replica: 0, replicas: 2);
        var r1 = await ChunkAsync(Mlp, start, "r1", 0, 20, replica: 1, replicas: 2);
        CheckpointReference[] replicas = [r0.Checkpoint, r1.Checkpoint];

        var average = await Executor.MergeAsync(new MergeCommand(replicas, new CheckpointReference(RunId.Parse("outer2"), "avg"), Mlp, new ReplicaSection(2)));
        var outer = await Executor.MergeAsync(new MergeCommand(replicas, new CheckpointReference(RunId.Parse("outer2"), "nesterov"), Mlp,
            new ReplicaSection(2, MergeStrategy.OuterNesterov, OuterLearningRate: 1.0, OuterMomentum: 0.5), start, MomentumIn: null, MomentumOut: new CheckpointReference(RunId.Parse("outer2"), "momentum")));

        // With m = delta on the first round, next = previous - (1 + mu) * delta: 1.5 times the average's step.
        double averageStep = Distance(Store.Blobs[start], Store.Blobs[average]);
        double outerStep = Distance(Store.Blobs[start], Store.Blobs[outer]);
        Assert.Equal(1.5 * averageStep, outerStep, 3);
    }

    [Theory]
    [InlineData("schedule")]
    [InlineData("clip")]
    [InlineData("nesterov")]
    public async Task TrainingOptions_ChangeWhatAChunkLearns(string option)
    {
        TrainingRecipe baseline = option == "nesterov" ? Mlp with { Optimizer = new OptimizerSection(OptimizerKind.Sgd, LearningRate: 0.05) } : Mlp;
        TrainingRecipe changed = option switch
        {
            "schedule" => baseline with { Schedule = new ScheduleSection(LearningRateSchedule.CosineWithWarmup, WarmupSteps: 5) },
            "clip" => baseline with { Training = baseline.Training with { GradientClipNorm = 0.01 } },
            _ => baseline with { Optimizer = baseline.Optimizer with { Nesterov = true } },
        };
        // Optimizer settings travel in the checkpoint's optimizer state, so each recipe starts from its own initial checkpoint
        // (same seed, same initial weights).
        var plain = await ChunkAsync(baseline, await InitializeAsync("opt-a-" + option, baseline), "plain", 0, 15);
        var withOption = await ChunkAsync(changed, await InitializeAsync("opt-b-" + option, changed), "changed", 0, 15);

        Assert.NotEqual(Store.Blobs[plain.Checkpoint], Store.Blobs[withOption.Checkpoint]);
        Assert.True(double.IsFinite(withOption.MeanLoss));
    }

    private static bool ParametersClose(byte[] left, byte[] right, TrainingRecipe recipe)
    {
        using var scope = global::TorchSharp.torch.NewDisposeScope();
        return Parameters(left, recipe).Zip(Parameters(right, recipe)).All(pair => pair.First.allclose(pair.Second, rtol: 1e-5, atol: 1e-6));
    }

    private static double Distance(byte[] left, byte[] right)
    {
        using var scope = global::TorchSharp.torch.NewDisposeScope();
        return Math.Sqrt(Parameters(left, Mlp).Zip(Parameters(right, Mlp)).Sum(pair => (pair.First - pair.Second).pow(2).sum().item<float>()));
    }
}
