using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.Initialization;
using TorchSharp.PyBridge;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>Starting from existing weights (another run's checkpoint, a PyTorch state dict, safetensors) and freezing layers.</summary>
public sealed class FineTuningTests : IDisposable
{
    private static readonly TrainingSection Training = new(BatchSize: 32, Seed: 5);
    private static readonly ModelSection Mlp = Architecture("mlp", ("hiddenUnits", 24), ("hiddenLayers", 2), ("batchNorm", 1));

    private readonly ExecutorHarness _harness = new(trainExamples: 512, testExamples: 128);

    public void Dispose() => _harness.Dispose();

    private static TrainingRecipe RecipeOf(ModelSection model) => Recipe(model, new OptimizerSection(OptimizerKind.Adam, LearningRate: 0.01), Training);

    [Fact]
    public async Task ACheckpointsModelState_ReadsBackWithoutItsModel_KeyByKeyAndBitwise()
    {
        TrainingRecipe recipe = RecipeOf(Mlp);
        CheckpointReference start = await _harness.InitializeAsync("state-read", recipe);
        ChunkResult trained = await _harness.ChunkAsync(recipe, start, "trained", 0, 5);
        byte[] content = _harness.Store.Blobs[trained.Checkpoint];

        using var scope = NewDisposeScope();
        (_, Dictionary<string, Tensor> state) = CheckpointFormat.ReadModelState(trained.Checkpoint, content);
        ModelSpec spec = SpecOf(recipe);
        using var model = ModelFactory.Create(spec);
        CheckpointFormat.Read(trained.Checkpoint, content, spec.Describe(), model, null);
        Dictionary<string, Tensor> expected = model.state_dict();

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
        foreach ((string key, Tensor value) in expected)
        {
            Assert.Equal(value.dtype, state[key].dtype);
            Assert.True(Same(value, state[key]), $"{key} differs");
        }
    }

    [Fact]
    public async Task FrozenLayers_EndBitwiseAsTheyStarted_KeepTheirBatchNormStatistics_AndHoldNoOptimizerState()
    {
        TrainingRecipe frozen = RecipeOf(Mlp with { Freeze = ["fc1", "bn1"] });
        TrainingRecipe free = RecipeOf(Mlp);
        CheckpointReference frozenStart = await _harness.InitializeAsync("frozen", frozen);
        CheckpointReference freeStart = await _harness.InitializeAsync("free", free);
        ChunkResult frozenEnd = await _harness.ChunkAsync(frozen, frozenStart, "end", 0, 12);
        ChunkResult freeEnd = await _harness.ChunkAsync(free, freeStart, "end", 0, 12);

        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> before = StateOf(frozenStart);
        Dictionary<string, Tensor> after = StateOf(frozenEnd.Checkpoint);
        string[] frozenKeys = [.. before.Keys.Where(key => key.StartsWith("fc1.", StringComparison.Ordinal) || key.StartsWith("bn1.", StringComparison.Ordinal))];
        Assert.Contains("bn1.running_mean", frozenKeys);
        foreach (string key in frozenKeys)
        {
            Assert.True(Same(before[key], after[key]), $"frozen {key} changed");
        }

        Assert.False(Same(before["fc2.weight"], after["fc2.weight"]), "the layers after the frozen ones did not train");
        Assert.False(Same(before["bn2.running_mean"], after["bn2.running_mean"]), "batch norm outside the frozen layers kept its statistics");
        Assert.True(double.IsFinite(frozenEnd.MeanLoss));

        // Adam keeps two moments per trainable element: fc1's 784x24 weights and bias and bn1's scale and shift have none.
        long frozenElements = (784 * 24) + 24 + 24 + 24;
        long saved = _harness.Store.Blobs[freeEnd.Checkpoint].Length - _harness.Store.Blobs[frozenEnd.Checkpoint].Length;
        Assert.InRange(saved, 2 * 4 * frozenElements, (2 * 4 * frozenElements) + 4096);
    }

    [Fact]
    public async Task ARunStartedFromAnothersCheckpoint_HoldsItsWeights_AndAReinitialisedLayerItsOwnDraw()
    {
        TrainingRecipe source = RecipeOf(Mlp);
        CheckpointReference sourceStart = await _harness.InitializeAsync("source", source);
        ChunkResult sourceEnd = await _harness.ChunkAsync(source, sourceStart, "final", 0, 8);
        var init = new InitialWeights(Run: "source", CheckpointName: sourceEnd.Checkpoint.Name, Reinitialize: ["fc3"]);
        TrainingRecipe started = RecipeOf(Mlp with { InitFrom = init }) with { Training = Training with { Seed = 11 } };
        TrainingRecipe fresh = started with { Model = Mlp };

        CheckpointReference startedAt = await _harness.InitializeAsync("started", started);
        CheckpointReference freshAt = await _harness.InitializeAsync("fresh", fresh);

        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> sourceState = StateOf(sourceEnd.Checkpoint);
        Dictionary<string, Tensor> startedState = StateOf(startedAt);
        Dictionary<string, Tensor> freshState = StateOf(freshAt);
        foreach ((string key, Tensor value) in startedState)
        {
            Tensor expected = key.StartsWith("fc3.", StringComparison.Ordinal) ? freshState[key] : sourceState[key];
            Assert.True(Same(value, expected), $"{key} is not what it should start from");
        }

        // Its optimizer starts fresh: it trains from there like any run.
        ChunkResult chunk = await _harness.ChunkAsync(started, startedAt, "round-1", 0, 4);
        Assert.True(double.IsFinite(chunk.MeanLoss));
    }

    public static TheoryData<string> WeightsFormats => new() { "weights.pt", "weights.safetensors" };

    [Theory]
    [MemberData(nameof(WeightsFormats))]
    public async Task AWeightsFileFromPyTorchOrSafetensors_StartsTheModelAtItsWeights(string name)
    {
        byte[] file = WeightsFileOf(Mlp, seed: 77, safetensors: name.EndsWith(".safetensors", StringComparison.Ordinal));
        StoredModelFile stored = await _harness.Files.SaveAsync(name, file);
        Assert.Empty(_harness.Models.CheckFile(file, "file"));
        TrainingRecipe recipe = RecipeOf(Mlp with { InitFrom = new InitialWeights(File: name, Sha256: stored.Sha256) });

        CheckpointReference start = await _harness.InitializeAsync("from-" + name.Replace('.', '-'), recipe);

        using var scope = NewDisposeScope();
        using var expected = ModelFactory.Create(SpecOf(RecipeOf(Mlp)), seed: 77);
        Dictionary<string, Tensor> state = StateOf(start);
        foreach ((string key, Tensor value) in expected.state_dict())
        {
            Assert.True(Same(value, state[key]), $"{key} did not load");
        }
    }

    [Fact]
    public async Task TheSubmissionCheck_PinsTheFile_AndCountsOnlyTrainableParameters()
    {
        byte[] file = WeightsFileOf(Mlp, seed: 1, safetensors: true);
        StoredModelFile stored = await _harness.Files.SaveAsync("pinned.safetensors", file);

        ModelCheck check = await _harness.Models.CheckAsync(Mlp with { InitFrom = new InitialWeights(File: "pinned.safetensors"), Freeze = ["fc1"] }, Synthetic);
        ModelCheck whole = await _harness.Models.CheckAsync(Mlp, Synthetic);

        Assert.Empty(check.Errors);
        Assert.Equal(stored.Sha256, check.Resolved!.InitFrom!.Sha256);
        Assert.Equal(whole.Parameters - ((784 * 24) + 24), check.Parameters);
    }

    [Fact]
    public async Task WeightsOfAnotherShape_AreRefusedByKeyAndShape_UnlessStrictIsOff()
    {
        byte[] file = WeightsFileOf(Architecture("mlp", ("hiddenUnits", 16), ("hiddenLayers", 2), ("batchNorm", 1)), seed: 1, safetensors: false);
        await _harness.Files.SaveAsync("narrow.pt", file);

        ModelCheck strict = await _harness.Models.CheckAsync(Mlp with { InitFrom = new InitialWeights(File: "narrow.pt") }, Synthetic);
        ModelCheck lenient = await _harness.Models.CheckAsync(Mlp with { InitFrom = new InitialWeights(File: "narrow.pt", Strict: false) }, Synthetic);

        ValidationError error = Assert.Single(strict.Errors);
        Assert.Equal("model.initFrom", error.Field);
        Assert.Contains("fc1.weight is [16, 784] there and [24, 784] here", error.Rule, StringComparison.Ordinal);
        Assert.Contains("initFrom.reinitialize", error.Rule, StringComparison.Ordinal);
        // Only the last layer's bias (10 outputs either way) and batch norm's step counters match; strict off loads those.
        Assert.Empty(lenient.Errors);
    }

    [Fact]
    public async Task NamesThatMatchNoLayer_AndAFreezeOfEverything_AreRefusedUnderTheirPaths()
    {
        byte[] file = WeightsFileOf(Mlp, seed: 1, safetensors: true);
        await _harness.Files.SaveAsync("w.safetensors", file);

        ModelCheck check = await _harness.Models.CheckAsync(
            Mlp with { InitFrom = new InitialWeights(File: "w.safetensors", Reinitialize: ["head"]), Freeze = ["fc9", "fc1"] }, Synthetic);
        ModelCheck everything = await _harness.Models.CheckAsync(Mlp with { Freeze = ["fc*", "bn*"] }, Synthetic);

        Assert.Contains(check.Errors, error => error.Field == "model.freeze[0]" && error.Rule.Contains("'fc9' is not a layer", StringComparison.Ordinal) && error.Rule.Contains("fc1", StringComparison.Ordinal));
        Assert.Contains(check.Errors, error => error.Field == "model.initFrom.reinitialize[0]" && error.Rule.Contains("'head' is not a layer", StringComparison.Ordinal));
        Assert.Equal("model.freeze", Assert.Single(everything.Errors).Field);
    }

    [Fact]
    public async Task AWeightsFileNamedAsTheModel_AndATorchScriptFileNamedAsWeights_AreEachRefusedWithTheOtherUse()
    {
        byte[] weights = WeightsFileOf(Mlp, seed: 1, safetensors: false);
        await _harness.Files.SaveAsync("weights.pt", weights);
        await _harness.Files.SaveAsync("net.pt", await File.ReadAllBytesAsync(TestSupport.TorchScriptFiles.PathOf("tiny.pt")));

        ModelCheck asModel = await _harness.Models.CheckAsync(new ModelSection(File: "weights.pt"), Synthetic);
        ModelCheck asWeights = await _harness.Models.CheckAsync(Mlp with { InitFrom = new InitialWeights(File: "net.pt") }, Synthetic);
        ModelCheck missing = await _harness.Models.CheckAsync(Mlp with { InitFrom = new InitialWeights(File: "nowhere.pt") }, Synthetic);

        ValidationError model = Assert.Single(asModel.Errors);
        Assert.Equal("model.file", model.Field);
        Assert.Contains("is a PyTorch state dict", model.Rule, StringComparison.Ordinal);
        Assert.Contains("\"initFrom\"", model.Rule, StringComparison.Ordinal);
        ValidationError script = Assert.Single(asWeights.Errors);
        Assert.Equal("model.initFrom.file", script.Field);
        Assert.Contains("TorchScript", script.Rule, StringComparison.Ordinal);
        Assert.Equal("model.initFrom.file", Assert.Single(missing.Errors).Field);
    }

    [Fact]
    public void DebiansTorchSaveOfAStateDict_IsAcceptedByTheModelStore_AndReadsAsItsTensors()
    {
        byte[] content = File.ReadAllBytes(TestSupport.TorchScriptFiles.PathOf("state-dict.pt"));

        Assert.Equal(WeightsFileFormat.PyTorchStateDict, WeightsFile.Detect(content));
        Assert.Empty(_harness.Models.CheckFile(content, "file"));
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> tensors = WeightsFile.Read(content);
        Assert.Equal(["linear.bias", "linear.weight"], tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([10L, 784L], tensors["linear.weight"].shape);
        Assert.Null(WeightsFile.Detect(File.ReadAllBytes(TestSupport.TorchScriptFiles.PathOf("tiny.pt"))));
    }

    /// <summary>Same shape, same type and every element equal.</summary>
    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private Dictionary<string, Tensor> StateOf(CheckpointReference checkpoint) =>
        CheckpointFormat.ReadModelState(checkpoint, _harness.Store.Blobs[checkpoint]).State;

    /// <summary>A model's weights drawn from <paramref name="seed"/>, as PyTorch's torch.save or safetensors would hold them.</summary>
    private static byte[] WeightsFileOf(ModelSection model, long seed, bool safetensors)
    {
        using var module = ModelFactory.Create(SpecOf(RecipeOf(model)), seed);
        using var stream = new MemoryStream();
        if (safetensors)
        {
            module.save_safetensors(stream, skip: null, leaveOpen: true);
        }
        else
        {
            module.save_py(stream, skip: null, leaveOpen: true);
        }

        return stream.ToArray();
    }
}
