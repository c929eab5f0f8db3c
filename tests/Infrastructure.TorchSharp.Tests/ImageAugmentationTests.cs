using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.TestSupport;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>Random crops and flips while training: real augmentation, drawn from (seed, replica, step), so resume stays bitwise.</summary>
public sealed class ImageAugmentationTests : IDisposable
{
    private readonly ExecutorHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static TrainingRecipe Augmented(int padding = 4, bool flip = true) => TestRecipes.Recipe(new ModelSection("cnn")) with
    {
        Data = new DataSection(DatasetKind.Synthetic, CropPadding: padding, HorizontalFlip: flip),
    };

    [Fact]
    public async Task AugmentedTraining_TwoChunksGiveBitwiseTheSameCheckpointAsOne()
    {
        TrainingRecipe recipe = Augmented();
        var start = await _harness.InitializeAsync("augmented", recipe);

        var whole = await _harness.ChunkAsync(recipe, start, "whole", 0, 30);
        var first = await _harness.ChunkAsync(recipe, start, "first", 0, 15);
        var second = await _harness.ChunkAsync(recipe, first.Checkpoint, "second", 15, 15);

        Assert.Equal(_harness.Store.Blobs[whole.Checkpoint], _harness.Store.Blobs[second.Checkpoint]);
    }

    [Fact]
    public async Task Augmentation_ChangesWhatIsTrained()
    {
        TrainingRecipe plain = Augmented(padding: 0, flip: false);
        TrainingRecipe augmented = Augmented();
        var plainStart = await _harness.InitializeAsync("plain", plain);
        var augmentedStart = await _harness.InitializeAsync("augmented", augmented);

        var plainChunk = await _harness.ChunkAsync(plain, plainStart, "trained", 0, 10);
        var augmentedChunk = await _harness.ChunkAsync(augmented, augmentedStart, "trained", 0, 10);

        Assert.NotEqual(plainChunk.MeanLoss, augmentedChunk.MeanLoss);
    }

    [Fact]
    public void Apply_CropsWithinThePaddingAndFlipsSomeImages_TheSameWayEveryTime_ButNotForOtherSteps()
    {
        using var scope = NewDisposeScope();
        Tensor batch = arange(2 * 1 * 4 * 4, dtype: ScalarType.Float32).reshape(2, 1, 4, 4).repeat(8, 1, 1, 1);
        ImageAugmentation augmentation = ImageAugmentation.For(new DataSection(CropPadding: 1, HorizontalFlip: true))!;

        Tensor once = augmentation.Apply(batch, seed: 3, replica: 0, microBatch: 5);
        Tensor again = augmentation.Apply(batch, seed: 3, replica: 0, microBatch: 5);
        Tensor later = augmentation.Apply(batch, seed: 3, replica: 0, microBatch: 6);

        Assert.Equal(batch.shape, once.shape);
        Assert.True(once.equal(again).all().item<bool>());
        Assert.False(once.equal(later).all().item<bool>());
        // Every output pixel is an input pixel of the same image or the zero padding.
        for (int i = 0; i < 16; i++)
        {
            var allowed = batch[i].flatten().data<float>().ToHashSet();
            Assert.All(once[i].flatten().data<float>().ToArray(), value => Assert.True(value == 0 || allowed.Contains(value)));
        }
    }

    [Fact]
    public async Task Augmentation_OnTableRows_IsRefusedUnderTheField()
    {
        _harness.DataFiles.Put("rows.csv", DataFiles.RegressionCsv(100));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "rows.csv", Label: "target", Task: LearningTask.Regression, HorizontalFlip: true));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.horizontalFlip", error.Field);
        Assert.Contains("applies to images", error.Rule, StringComparison.Ordinal);
    }
}
