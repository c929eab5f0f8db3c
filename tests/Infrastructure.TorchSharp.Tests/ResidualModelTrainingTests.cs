using DurableTrainer.Domain.Kinds;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// The models the registry resolves to residual layers, trained through the executor: the resnet built-in and a
/// declarative model with residual blocks, batch norm and dropout. Small models and few steps on synthetic data.
/// </summary>
public sealed class ResidualModelTrainingTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int HalfSteps = 6;

    private readonly ExecutorHarness _harness = new(trainExamples: 512, testExamples: 200);

    public static TheoryData<string> Models => new() { "resnet", "layers" };

    private InMemoryCheckpointStore Store => _harness.Store;

    private TorchSharpTrainingExecutor Executor => _harness.Executor;

    public void Dispose() => _harness.Dispose();

    private static TrainingRecipe RecipeFor(string name) => Recipe(
        name == "resnet" ? Architecture("resnet", ("width", 4), ("stages", 2), ("blocks", 1)) : ResidualLayers,
        new OptimizerSection(LearningRate: 1e-2),
        new TrainingSection(BatchSize: 32, Seed: 11));

    [Theory]
    [MemberData(nameof(Models))]
    public async Task ResidualModel_TrainsWithFiniteFallingLossAndEvaluates(string name)
    {
        TrainingRecipe recipe = RecipeFor(name);
        InitializationResult initialized = await _harness.Executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("train-" + name)), recipe));
        EvaluationResult before = await Executor.EvaluateAsync(new EvaluateCommand(initialized.Checkpoint, recipe, EvaluationSplit.Test));

        ChunkResult chunk = await _harness.ChunkAsync(recipe, initialized.Checkpoint, "trained", 0, 4 * HalfSteps);
        EvaluationResult after = await Executor.EvaluateAsync(new EvaluateCommand(chunk.Checkpoint, recipe, EvaluationSplit.Test));

        Assert.All(chunk.StepMetrics!, step => Assert.True(double.IsFinite(step.Loss), $"step {step.Step}: loss {step.Loss}"));
        double firstLosses = chunk.StepMetrics!.Take(HalfSteps).Average(step => step.Loss);
        double lastLosses = chunk.StepMetrics!.TakeLast(HalfSteps).Average(step => step.Loss);
        output.WriteLine($"{name}: mean step loss {firstLosses:F4} over the first {HalfSteps} steps, {lastLosses:F4} over the last; evaluation loss {before.Loss:F4} -> {after.Loss:F4}, accuracy {before.Accuracy:F3} -> {after.Accuracy:F3}");
        Assert.True(lastLosses < firstLosses, $"the mean loss of the last {HalfSteps} steps ({lastLosses}) is not below the first {HalfSteps}' ({firstLosses})");
        // After so few steps batch norm's running statistics still lag the weights, so evaluation is only required to be sound.
        Assert.True(double.IsFinite(after.Loss), $"evaluation loss {after.Loss}");
        Assert.InRange(after.Accuracy, 0.0, 1.0);
        Assert.Equal(200, after.Examples);
        Assert.Equal(ModelRegistryParameters(recipe), initialized.Parameters);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task ResidualModel_TwoChunksGiveBitwiseTheSameCheckpointAsOneChunkOfBothLengths(string name)
    {
        TrainingRecipe recipe = RecipeFor(name);
        // The declarative model's dropout draws its masks from the counter-based generator, which the resume must reproduce.
        Assert.Equal(name == "layers", SpecOf(recipe).HasDropout);
        var start = await _harness.InitializeAsync("resume-" + name, recipe);

        var whole = await _harness.ChunkAsync(recipe, start, "whole", 0, 2 * HalfSteps);
        var firstHalf = await _harness.ChunkAsync(recipe, start, "half-1", 0, HalfSteps);
        var secondHalf = await _harness.ChunkAsync(recipe, firstHalf.Checkpoint, "half-2", HalfSteps, HalfSteps);

        Assert.Equal(Store.Blobs[whole.Checkpoint], Store.Blobs[secondHalf.Checkpoint]);
        Assert.NotEqual(Store.Blobs[firstHalf.Checkpoint], Store.Blobs[secondHalf.Checkpoint]);
        Assert.True(double.IsFinite(whole.MeanLoss));
    }

    private static long ModelRegistryParameters(TrainingRecipe recipe) =>
        Infrastructure.TorchSharp.Models.ModelRegistry.BuiltIn.Check(recipe.Model, Synthetic).Parameters;
}
