using System.Security.Cryptography;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.TestSupport;
using Xunit.Abstractions;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Models written in PyTorch and saved with <c>torch.jit.script(model).save</c>: checked at submission against the
/// data's shape, trained through the executor with everything a built-in gets (exact resume with dropout, replicas,
/// evaluation), pinned by their SHA-256, and exported back as TorchScript that PyTorch loads and agrees with.
/// </summary>
[Collection(nameof(TorchScriptModelTests))]
public sealed class TorchScriptModelTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 8;
    private readonly ExecutorHarness _harness = new(trainExamples: 512, testExamples: 200);

    public void Dispose() => _harness.Dispose();

    private async Task<ModelSection> StoreAsync(string fixture, string? name = null)
    {
        byte[] content = TorchScriptFiles.Read(fixture);
        StoredModelFile stored = await _harness.Files.SaveAsync(name ?? fixture, content);
        return new ModelSection(File: stored.Name, Sha256: stored.Sha256);
    }

    private static TrainingRecipe RecipeFor(ModelSection model, int seed = 5) =>
        Recipe(model, new OptimizerSection(LearningRate: 1e-2), new TrainingSection(BatchSize: 32, Seed: seed));

    [Fact]
    public async Task Check_OfAScriptedCnn_PinsItsSha256AndCountsItsParameters()
    {
        byte[] content = TorchScriptFiles.Read("cnn.pt");
        await _harness.Files.SaveAsync("cnn.pt", content);

        ModelCheck check = await _harness.Models.CheckAsync(new ModelSection(File: "cnn.pt"), Synthetic);

        Assert.Empty(check.Errors);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), check.Resolved!.Sha256);
        // conv 1->16 (160), batch norm (32), conv 16->32 (4640), batch norm (64), linear 1568->10 (15690).
        Assert.Equal(20_586, check.Parameters);
    }

    [Theory]
    [InlineData("three-channels.pt", "fails on a batch of the data's shape [2, 1, 28, 28]: RuntimeError")]
    [InlineData("tuple.pt", "returns a tuple of 2 values; forward must return one tensor of shape [N, 10]")]
    [InlineData("five-outputs.pt", "returns [2, 5] for a batch of [2, 1, 28, 28]; the data needs [N, 10]")]
    [InlineData("two-inputs.pt", "has a forward that takes 2 inputs; it must take one tensor")]
    [InlineData("no-parameters.pt", "has no trainable parameters")]
    [InlineData("state-dict.pt", "is a PyTorch state dict: weights without the code that uses them, not TorchScript")]
    public async Task Check_OfAScriptThatDoesNotFitTheData_NamesTheProblem(string fixture, string problem)
    {
        ModelSection model = await StoreAsync(fixture);

        ModelCheck check = await _harness.Models.CheckAsync(model, Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        output.WriteLine(error.ToString());
        Assert.Equal("model.file", error.Field);
        Assert.Contains(problem, error.Rule, StringComparison.Ordinal);
        Assert.Null(check.Resolved);
    }

    [Fact]
    public async Task Check_OfBytesThatAreNotTorchScriptOrAreTruncated_SaysWhich()
    {
        byte[] whole = TorchScriptFiles.Read("tiny.pt");
        await _harness.Files.SaveAsync("notes.pt", "just some text, not a model"u8.ToArray());
        await _harness.Files.SaveAsync("half.pt", whole.AsMemory(0, whole.Length / 2));

        ValidationError garbage = Assert.Single((await _harness.Models.CheckAsync(new ModelSection(File: "notes.pt"), Synthetic)).Errors);
        ValidationError truncated = Assert.Single((await _harness.Models.CheckAsync(new ModelSection(File: "half.pt"), Synthetic)).Errors);

        Assert.Contains("is not a TorchScript file", garbage.Rule, StringComparison.Ordinal);
        Assert.Contains("is truncated or damaged", truncated.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_OfAMissingOrOversizedFile_SaysSoWithoutLoadingIt()
    {
        await _harness.Files.SaveAsync("huge.pt", new byte[ModelFileLimits.MaxBytes + 1]);

        ValidationError missing = Assert.Single((await _harness.Models.CheckAsync(new ModelSection(File: "net.pt"), Synthetic)).Errors);
        ValidationError huge = Assert.Single((await _harness.Models.CheckAsync(new ModelSection(File: "huge.pt"), Synthetic)).Errors);

        Assert.Equal("model.file", missing.Field);
        Assert.Contains("'net.pt' is not in the model store", missing.Rule, StringComparison.Ordinal);
        Assert.Contains($"must be at most {ModelFileLimits.MaxBytes} bytes", huge.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WithAPinnedSha256ThatTheFileDoesNotHave_IsRefusedUnderSha256()
    {
        ModelSection model = await StoreAsync("tiny.pt");

        ModelCheck check = await _harness.Models.CheckAsync(model with { Sha256 = new string('0', 64) }, Synthetic);

        Assert.Equal("model.sha256", Assert.Single(check.Errors).Field);
    }

    [Fact]
    public void CheckFile_BeforeAnUpload_AcceptsTorchScriptAndRefusesOtherBytesUnderThePathGiven()
    {
        Assert.Empty(_harness.Models.CheckFile(TorchScriptFiles.Read("tiny.pt"), "body"));
        ValidationError garbage = Assert.Single(_harness.Models.CheckFile(new byte[] { 1, 2, 3 }, "body"));
        ValidationError twoInputs = Assert.Single(_harness.Models.CheckFile(TorchScriptFiles.Read("two-inputs.pt"), "body"));

        Assert.Equal("body", garbage.Field);
        Assert.Contains("is not a TorchScript file", garbage.Rule, StringComparison.Ordinal);
        Assert.Contains("takes 2 inputs", twoInputs.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptedCnn_TrainsWithFallingLossAndEvaluates()
    {
        TrainingRecipe recipe = RecipeFor(await StoreAsync("cnn.pt"));
        InitializationResult initialized = await _harness.Executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("script-train")), recipe));

        ChunkResult chunk = await _harness.ChunkAsync(recipe, initialized.Checkpoint, "trained", 0, 3 * Steps);
        EvaluationResult evaluation = await _harness.Executor.EvaluateAsync(new EvaluateCommand(chunk.Checkpoint, recipe, EvaluationSplit.Test));

        double first = chunk.StepMetrics!.Take(Steps).Average(step => step.Loss);
        double last = chunk.StepMetrics!.TakeLast(Steps).Average(step => step.Loss);
        output.WriteLine($"mean step loss {first:F4} -> {last:F4}; evaluation accuracy {evaluation.Accuracy:F3}, loss {evaluation.Loss:F4}");
        Assert.True(last < first, $"the mean loss of the last {Steps} steps ({last}) is not below the first {Steps}' ({first})");
        Assert.Equal(20_586, initialized.Parameters);
        Assert.True(double.IsFinite(evaluation.Loss));
        Assert.Equal(200, evaluation.Examples);
    }

    [Fact]
    public async Task ScriptWithDropout_TwoChunksGiveBitwiseTheSameCheckpointAsOneChunkOfBothLengths()
    {
        TrainingRecipe recipe = RecipeFor(await StoreAsync("tiny.pt"));
        CheckpointReference start = await _harness.InitializeAsync("script-resume", recipe);

        ChunkResult whole = await _harness.ChunkAsync(recipe, start, "whole", 0, 2 * Steps);
        ChunkResult firstHalf = await _harness.ChunkAsync(recipe, start, "half-1", 0, Steps);
        ChunkResult secondHalf = await _harness.ChunkAsync(recipe, firstHalf.Checkpoint, "half-2", Steps, Steps);

        Assert.Equal(_harness.Store.Blobs[whole.Checkpoint], _harness.Store.Blobs[secondHalf.Checkpoint]);
        Assert.NotEqual(_harness.Store.Blobs[start], _harness.Store.Blobs[whole.Checkpoint]);
    }

    [Fact]
    public async Task ScriptDropout_InTwoChunksAtOnce_DrawsWhatEachDrawsAlone()
    {
        TrainingRecipe first = RecipeFor(await StoreAsync("tiny.pt"), seed: 1);
        TrainingRecipe second = RecipeFor(first.Model, seed: 2);
        CheckpointReference start1 = await _harness.InitializeAsync("script-concurrent-1", first);
        CheckpointReference start2 = await _harness.InitializeAsync("script-concurrent-2", second);
        byte[] alone1 = _harness.Store.Blobs[(await _harness.ChunkAsync(first, start1, "alone", 0, 2 * Steps)).Checkpoint];
        byte[] alone2 = _harness.Store.Blobs[(await _harness.ChunkAsync(second, start2, "alone", 0, 2 * Steps)).Checkpoint];

        // Each run's dropout seeds libtorch's one process-wide generator; at once, neither may draw from the other's seed.
        ChunkResult[] together = await Task.WhenAll(
            Task.Run(() => _harness.ChunkAsync(first, start1, "together", 0, 2 * Steps)),
            Task.Run(() => _harness.ChunkAsync(second, start2, "together", 0, 2 * Steps)));

        Assert.Equal(alone1, _harness.Store.Blobs[together[0].Checkpoint]);
        Assert.Equal(alone2, _harness.Store.Blobs[together[1].Checkpoint]);
        Assert.NotEqual(alone1, alone2);
    }

    [Theory]
    [InlineData(MergeStrategy.Average)]
    [InlineData(MergeStrategy.OuterNesterov)]
    public async Task ScriptReplicas_MergeIntoAModelThatEvaluates(MergeStrategy strategy)
    {
        TrainingRecipe recipe = RecipeFor(await StoreAsync("cnn.pt"));
        var merge = new ReplicaSection(2, strategy);
        CheckpointReference start = await _harness.InitializeAsync("script-merge", recipe);
        ChunkResult r0 = await _harness.ChunkAsync(recipe, start, "round-000001/replica-00", 0, Steps, replica: 0, replicas: 2);
        ChunkResult r1 = await _harness.ChunkAsync(recipe, start, "round-000001/replica-01", 0, Steps, replica: 1, replicas: 2);
        bool outer = strategy == MergeStrategy.OuterNesterov;

        CheckpointReference merged = await _harness.Executor.MergeAsync(new MergeCommand(
            [r0.Checkpoint, r1.Checkpoint], new CheckpointReference(RunId.Parse("script-merge"), "round-000001/merged"), recipe, merge,
            Start: outer ? start : null, MomentumOut: outer ? new CheckpointReference(RunId.Parse("script-merge"), "round-000001/momentum") : null));
        EvaluationResult evaluation = await _harness.Executor.EvaluateAsync(new EvaluateCommand(merged, recipe));

        Assert.True(double.IsFinite(evaluation.Loss));
        Assert.NotEqual(_harness.Store.Blobs[r0.Checkpoint], _harness.Store.Blobs[merged]);
    }

    [Fact]
    public async Task Chunk_AfterTheFileChangedUnderTheRun_FailsSayingSo()
    {
        ModelSection model = await StoreAsync("tiny.pt", "net.pt");
        TrainingRecipe recipe = RecipeFor(model);
        CheckpointReference start = await _harness.InitializeAsync("script-changed", recipe);

        await _harness.Files.SaveAsync("net.pt", TorchScriptFiles.Read("cnn.pt"));
        var changed = await Assert.ThrowsAsync<ModelFileException>(() => _harness.ChunkAsync(recipe, start, "next", 0, Steps));
        _harness.Files.Delete("net.pt");
        var removed = await Assert.ThrowsAsync<ModelFileException>(() => _harness.ChunkAsync(recipe, start, "next", 0, Steps));

        output.WriteLine(changed.Message);
        Assert.Contains("'net.pt' changed under the run", changed.Message, StringComparison.Ordinal);
        Assert.Contains(model.Sha256!, changed.Message, StringComparison.Ordinal);
        Assert.Contains("'net.pt' is no longer in the model store", removed.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TorchScriptExport_LoadedInPyTorch_PredictsWhatTorchSharpPredicts()
    {
        TestRequirements.PyTorch();
        // The default recipe's learning rate, so that the logits keep a realistic size.
        TrainingRecipe recipe = Recipe(await StoreAsync("cnn.pt"), new OptimizerSection(LearningRate: 1e-3), new TrainingSection(BatchSize: 32, Seed: 5));
        CheckpointReference trained = (await _harness.ChunkAsync(recipe, await _harness.InitializeAsync("script-export", recipe), "trained", 0, 2 * Steps)).Checkpoint;
        var exporter = new PyTorchModelExporter(_harness.Store, _harness.Datasets, _harness.Models);

        ExportedModel export = await exporter.ExportAsync(trained, recipe, ModelExportFormat.TorchScript);

        string folder = Directory.CreateTempSubdirectory("dt-script-export-").FullName;
        try
        {
            using var scope = NewDisposeScope();
            Tensor images = _harness.Datasets.GetAsync(new DataSection(DatasetKind.Synthetic)).GetAwaiter().GetResult().Test.Held().Features.narrow(0, 0, 64).contiguous();
            float[] expected = TorchSharpLogits(recipe, trained, images);
            string modelPath = Path.Combine(folder, export.FileName);
            string imagesPath = Path.Combine(folder, "images.f32");
            string logitsPath = Path.Combine(folder, "logits.f32");
            await File.WriteAllBytesAsync(modelPath, export.Content);
            await File.WriteAllBytesAsync(imagesPath, images.bytes.ToArray());
            SystemPyTorch.Run(SystemPyTorch.Python, "-c",
                "import sys, numpy, torch; torch.set_num_threads(1); m = torch.jit.load(sys.argv[1]); m.eval(); "
                + "x = torch.from_numpy(numpy.fromfile(sys.argv[2], dtype=numpy.float32).reshape(-1, 1, 28, 28)); "
                + "torch.no_grad().__enter__(); m(x).numpy().astype(numpy.float32).tofile(sys.argv[3])",
                modelPath, imagesPath, logitsPath);
            float[] actual = new float[expected.Length];
            Buffer.BlockCopy(await File.ReadAllBytesAsync(logitsPath), 0, actual, 0, actual.Length * sizeof(float));

            double maxDifference = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second));
            // Two libtorch builds (2.10 here, 1.13 in Debian) order their sums differently: logits agree to within
            // 1e-5 of their own size (at least 1e-5), a few float32 steps.
            double worstRelative = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second) / Math.Max(1.0, Math.Abs(pair.First)));
            output.WriteLine($"max |logit difference| = {maxDifference:E3} over {expected.Length} logits (largest |logit| {expected.Max(Math.Abs):F3}); relative {worstRelative:E3}");
            Assert.True(worstRelative < 1e-5, $"PyTorch's logits differ from TorchSharp's by up to {worstRelative} of their size");
            Assert.Equal(expected.Chunk(10).Select(row => Array.IndexOf(row, row.Max())), actual.Chunk(10).Select(row => Array.IndexOf(row, row.Max())));
            Assert.EndsWith(".pt", export.FileName, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task StateDictExport_OfAScript_HasTheScriptsOwnKeys()
    {
        TrainingRecipe recipe = RecipeFor(await StoreAsync("cnn.pt"));
        CheckpointReference start = await _harness.InitializeAsync("script-state-dict", recipe);
        var exporter = new PyTorchModelExporter(_harness.Store, _harness.Datasets, _harness.Models);

        ExportedModel export = await exporter.ExportAsync(start, recipe, ModelExportFormat.Safetensors);

        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> tensors = global::TorchSharp.PyBridge.Safetensors.LoadStateDict(new MemoryStream(export.Content), leaveOpen: false, keysToKeep: null);
        Assert.Contains("features.0.weight", tensors.Keys);
        Assert.Contains("head.bias", tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, key => key.StartsWith("network.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TorchScriptExport_OfABuiltIn_IsRefused()
    {
        TrainingRecipe recipe = RecipeFor(Architecture("mlp", ("hiddenUnits", 8)));
        CheckpointReference start = await _harness.InitializeAsync("builtin-script-export", recipe);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            new PyTorchModelExporter(_harness.Store, _harness.Datasets, _harness.Models).ExportAsync(start, recipe, ModelExportFormat.TorchScript));

        Assert.Contains("Only a model trained from a TorchScript file exports as TorchScript", refused.Message, StringComparison.Ordinal);
    }

    private float[] TorchSharpLogits(TrainingRecipe recipe, CheckpointReference checkpoint, Tensor images)
    {
        ModelSpec spec = _harness.Models.ResolveAsync(recipe.Model, Synthetic).GetAwaiter().GetResult();
        using var model = ModelFactory.Create(spec);
        CheckpointFormat.Read(checkpoint, _harness.Store.Blobs[checkpoint], spec.Describe(), model, null);
        model.eval();
        using (no_grad())
        {
            return model.call(images).contiguous().data<float>().ToArray();
        }
    }
}

/// <summary>
/// A scripted module's dropout draws from libtorch's process-wide generator, seeded under a lock that production code
/// honours; tests of other classes seed and draw from it without one (once seen under the whole suite's load: two
/// chunks at once drew other masks than each alone), so these run alone.
/// </summary>
[CollectionDefinition(nameof(TorchScriptModelTests), DisableParallelization = true)]
public sealed class TorchScriptModelTestsCollection;
