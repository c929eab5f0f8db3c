using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using DurableTrainer.TestSupport;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// The sequence layers (embedding, positionalEmbedding, layernorm, selfAttention, transformerBlock, sequencePool,
/// and linear over a sequence's last dimension): their shapes and parameter counts as checked at submission, the
/// problems they report at their fields, causality, dropout drawn from the step's generator, and their PyTorch
/// rebuilds in interop/pytorch computing the same outputs from the same state dict.
/// </summary>
public sealed class SequenceLayerTests(ITestOutputHelper output) : IDisposable
{
    private const int Positions = 12;
    private const int Vocabulary = 40;

    /// <summary>Token ids [12] of a 40-token vocabulary, to 3 classes.</summary>
    private static readonly DataShape Tokens = new([Positions], 3);

    private static readonly JsonSerializerOptions SpecJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly string _folder = Directory.CreateTempSubdirectory("dt-sequence-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Every sequence layer once, with and without biases, causal and not, ending in 3 class logits.</summary>
    private static ModelSection EverySequenceLayer(double dropout = 0) => Layers(
        new LayerSpec("embedding", "tokens", Vocabulary: Vocabulary, Width: 16),
        new LayerSpec("positionalEmbedding", "positions", Context: 16),
        new LayerSpec("transformerBlock", "block1", Heads: 4, Causal: true, P: dropout),
        new LayerSpec("transformerBlock", "block2", Heads: 2, Ratio: 2, Bias: false, P: dropout),
        new LayerSpec("selfAttention", "mixer", Heads: 2, P: dropout),
        new LayerSpec("layernorm", "norm", Bias: false),
        new LayerSpec("linear", "widen", Units: 24),
        new LayerSpec("gelu"),
        new LayerSpec("sequencePool", "pool", Mode: "last"),
        new LayerSpec("linear", "head", Units: 3, Bias: false));

    [Fact]
    public void Check_EverySequenceLayer_InfersTheShapesAndCountsWhatTheBuiltModelHolds()
    {
        ModelCheck check = ModelRegistry.BuiltIn.Check(EverySequenceLayer(), Tokens);
        using var model = ModelFactory.Create(ModelRegistry.BuiltIn.Resolve(EverySequenceLayer(), Tokens), seed: 1);

        Assert.Empty(check.Errors);
        Assert.Equal(model.parameters().Sum(parameter => parameter.numel()), check.Parameters);
        Assert.Equal([Positions, 16], LayerShapes.Infer(EverySequenceLayer().Layers!.Take(6).ToArray(), Tokens.Input, "model.layers").Output!);
        Assert.Equal([Positions, 24], LayerShapes.Infer(EverySequenceLayer().Layers!.Take(7).ToArray(), Tokens.Input, "model.layers").Output!);
        string[] keys = [.. model.state_dict().Keys];
        Assert.Equal(
            ["tokens.weight", "positions.weight",
             "block1.ln1.weight", "block1.ln1.bias", "block1.attention.qkv.weight", "block1.attention.qkv.bias", "block1.attention.proj.weight", "block1.attention.proj.bias",
             "block1.ln2.weight", "block1.ln2.bias", "block1.mlp.fc.weight", "block1.mlp.fc.bias", "block1.mlp.proj.weight", "block1.mlp.proj.bias",
             "block2.ln1.weight", "block2.attention.qkv.weight", "block2.attention.proj.weight", "block2.ln2.weight", "block2.mlp.fc.weight", "block2.mlp.proj.weight",
             "mixer.qkv.weight", "mixer.qkv.bias", "mixer.proj.weight", "mixer.proj.bias",
             "norm.weight", "widen.weight", "widen.bias", "head.weight"],
            keys);
    }

    [Fact]
    public void Resolve_FillsTheSequenceLayersDefaults_AndLeavesOlderLayersStoredFormAlone()
    {
        ModelSpec spec = ModelRegistry.BuiltIn.Resolve(Layers(
            new LayerSpec("embedding", Vocabulary: Vocabulary, Width: 8),
            new LayerSpec("transformerBlock", Heads: 2),
            new LayerSpec("sequencePool"),
            new LayerSpec("linear", Units: 3)), Tokens);

        LayerSpec block = spec.Layers[1];
        Assert.Equal(4, block.Ratio);
        Assert.False(block.Causal);
        Assert.Equal(0.0, block.P);
        Assert.True(block.Bias);
        Assert.Equal("mean", spec.Layers[2].Mode);
        // A linear layer's bias is not filled in: models stored before it existed describe themselves as they did.
        Assert.Null(spec.Layers[3].Bias);
        string mlp = ModelRegistry.BuiltIn.Resolve(Architecture("mlp"), Synthetic).Describe();
        Assert.DoesNotContain("bias", mlp, StringComparison.Ordinal);
        Assert.DoesNotContain("vocabulary", mlp, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> Problems => new()
    {
        // layers as JSON, the field reported, a phrase of its rule
        { """[{"type":"embedding","width":8}]""", "model.layers[0].vocabulary", "between 1 and" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"selfAttention","heads":3}]""", "model.layers[1].heads", "divide the width 8" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"positionalEmbedding","context":8}]""", "model.layers[1].context", "the sequence has 12" },
        { """[{"type":"selfAttention","heads":1}]""", "model.layers[0]", "put an embedding layer before it" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"sequencePool","mode":"max"}]""", "model.layers[1].mode", "mean or last" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"transformerBlock","heads":2,"p":1}]""", "model.layers[1].p", "less than 1" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"transformerBlock","heads":2,"ratio":0}]""", "model.layers[1].ratio", "between 1 and" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"embedding","vocabulary":40,"width":8}]""", "model.layers[1]", "token ids [positions]" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"linear","units":3}]""", "model.layers", "gives [12, 3]" },
        { """[{"type":"embedding","vocabulary":40,"width":8,"initStd":0}]""", "model.layers[0].initStd", "greater than 0 and at most 1" },
        { """[{"type":"embedding","vocabulary":40,"width":8},{"type":"transformerBlock","heads":2,"residualInitStd":2}]""", "model.layers[1].residualInitStd", "at most 1" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void Check_SequenceLayerThatDoesNotFit_IsReportedAtItsField(string layers, string field, string rule)
    {
        ModelSection model = Layers([.. JsonSerializer.Deserialize<LayerSpec[]>(layers, SpecJson)!]);

        ModelCheck check = ModelRegistry.BuiltIn.Check(model, Tokens);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(rule, error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void CausalLayers_OutputsAtAPosition_DoNotDependOnLaterTokens()
    {
        IReadOnlyList<LayerSpec> causal = LayerResolution.Resolve(
        [
            new LayerSpec("embedding", Vocabulary: Vocabulary, Width: 16),
            new LayerSpec("positionalEmbedding", Context: Positions),
            new LayerSpec("transformerBlock", Heads: 4, Causal: true),
            new LayerSpec("selfAttention", Heads: 2, Causal: true),
        ]);
        random.manual_seed(3);
        using var model = LayerStackBuilder.Build(causal, Tokens.Input, randomness: null);
        model.eval();
        using var scope = NewDisposeScope();
        Tensor tokens = arange(Positions, ScalarType.Int64).remainder(Vocabulary).unsqueeze(0);
        Tensor changed = tokens.clone();
        changed[0, 7] = tensor(39L);

        using (no_grad())
        {
            Tensor before = model.call(tokens);
            Tensor after = model.call(changed);
            Assert.True(before.narrow(1, 0, 7).equal(after.narrow(1, 0, 7)).all().item<bool>(), "positions before the changed token moved");
            Assert.False(before.narrow(1, 7, 1).equal(after.narrow(1, 7, 1)).all().item<bool>(), "the changed position did not move");
        }
    }

    [Fact]
    public void Dropout_InSequenceLayers_DrawsFromTheStepsGenerator()
    {
        ModelSpec spec = ModelRegistry.BuiltIn.Resolve(EverySequenceLayer(dropout: 0.3), Tokens);
        Assert.True(spec.HasDropout);
        using var randomness = new StepRandomness();
        using var model = ModelFactory.Create(spec, seed: 5, randomness);
        using var scope = NewDisposeScope();
        model.train();
        Tensor tokens = arange(2 * Positions, ScalarType.Int64).remainder(Vocabulary).reshape(2, Positions);

        float[] Forward(long microBatch)
        {
            randomness.SeedFor(seed: 5, replica: 0, microBatch);
            using (no_grad())
            {
                return model.call(tokens).data<float>().ToArray();
            }
        }

        Assert.Equal(Forward(3), Forward(3));
        Assert.NotEqual(Forward(3), Forward(4));
        model.eval();
        using (no_grad())
        {
            Assert.True(model.call(tokens).equal(model.call(tokens)).all().item<bool>());
        }
    }

    [Fact]
    public void InitStd_DrawsWeightsFromItsNormalWithZeroBiases_AndTheGptDrawsAsNanoGptDoes()
    {
        ModelSpec gpt = ModelRegistry.BuiltIn.Resolve(Architecture("gpt", ("layers", 2), ("embedding", 64)), LanguageModel);
        ModelSpec pytorchDefaults = ModelRegistry.BuiltIn.Resolve(Architecture("gpt", ("layers", 2), ("embedding", 64), ("initStd", 0)), LanguageModel);
        using var model = ModelFactory.Create(gpt, seed: 3);
        using var plain = ModelFactory.Create(pytorchDefaults, seed: 3);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> weights = model.named_parameters().ToDictionary(pair => pair.name, pair => (Tensor)pair.parameter);
        double Std(string key) => weights[key].std().item<float>();

        Assert.Equal(0.02, gpt.Layers[0].InitStd);
        // nanoGPT scales the projections into the residual stream by 1 / sqrt(2 * layers).
        Assert.Equal(0.01, gpt.Layers.Single(layer => layer.Name == "block1").ResidualInitStd!.Value, 12);
        Assert.InRange(Std("tokens.weight"), 0.018, 0.022);
        Assert.InRange(Std("positions.weight"), 0.017, 0.023);
        Assert.InRange(Std("block1.attention.qkv.weight"), 0.018, 0.022);
        Assert.InRange(Std("block2.mlp.fc.weight"), 0.018, 0.022);
        Assert.InRange(Std("block2.mlp.proj.weight"), 0.009, 0.011);
        Assert.InRange(Std("block1.attention.proj.weight"), 0.009, 0.011);
        Assert.Equal(0f, weights["block1.mlp.fc.bias"].abs().max().item<float>());
        Assert.All(pytorchDefaults.Layers, layer => Assert.Null(layer.InitStd));
        Assert.InRange(plain.named_parameters().Single(pair => pair.name == "tokens.weight").parameter.std().item<float>(), 0.9, 1.1);
    }

    /// <summary>A causal language model over [12] ids of 40 tokens, its head tied to its embedding: [12, 40] logits.</summary>
    private static readonly DataShape LanguageModel = new([Positions], Vocabulary) { Vocabulary = Vocabulary, OutputsPerPosition = true };

    private static ModelSection TiedLanguageModel() => Layers(
        new LayerSpec("embedding", "tokens", Vocabulary: Vocabulary, Width: 16),
        new LayerSpec("positionalEmbedding", "positions", Context: Positions),
        new LayerSpec("transformerBlock", "block", Heads: 2, Causal: true, Bias: false),
        new LayerSpec("layernorm", "norm"),
        new LayerSpec("linear", "head", Units: Vocabulary, Bias: false, TiedTo: "tokens"));

    [Fact]
    public void TiedHead_UsesTheEmbeddingsWeightItself_CountedAndStoredOnce()
    {
        ModelCheck check = ModelRegistry.BuiltIn.Check(TiedLanguageModel(), LanguageModel);
        using var model = ModelFactory.Create(ModelRegistry.BuiltIn.Resolve(TiedLanguageModel(), LanguageModel), seed: 2);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(new OptimizerSection(Domain.Kinds.OptimizerKind.AdamW, LearningRate: 0.01, WeightDecay: 0.1), model);
        using var scope = NewDisposeScope();
        Parameter table = model.named_parameters().Single(parameter => parameter.name == "tokens.weight").parameter;
        Parameter head = model.named_modules().Single(module => module.name == "head").module.named_parameters().Single(parameter => parameter.name == "weight").parameter;
        Tensor before = table.detach().clone();

        Assert.Empty(check.Errors);
        Assert.Same(table, head);
        // The shared table counts once, in the parameters, the optimizer and the checkpoint (TorchSharp's state dict
        // keeps one key for it; the PyTorch rebuild ties it back when it loads).
        Assert.Equal(model.parameters().Sum(parameter => parameter.numel()), check.Parameters);
        Assert.DoesNotContain("head.weight", model.state_dict().Keys);
        Tensor tokens = arange(2 * Positions, ScalarType.Int64).remainder(Vocabulary).reshape(2, Positions);
        functional.cross_entropy(model.call(tokens).reshape(-1, Vocabulary), tokens.reshape(-1)).backward();
        optimizer.step();
        Assert.False(table.equal(before).all().item<bool>(), "the shared table did not train");
    }

    [Theory]
    [InlineData("""[{"type":"embedding","name":"tokens","vocabulary":40,"width":16},{"type":"linear","units":40,"tiedTo":"nope"}]""", "model.layers[1].tiedTo", "names no embedding layer")]
    [InlineData("""[{"type":"embedding","name":"tokens","vocabulary":40,"width":16},{"type":"linear","units":41,"tiedTo":"tokens"}]""", "model.layers[1].units", "vocabulary: 40")]
    [InlineData("""[{"type":"embedding","name":"tokens","vocabulary":40,"width":16},{"type":"linear","units":8},{"type":"linear","units":40,"tiedTo":"tokens"}]""", "model.layers[2].tiedTo", "width 16")]
    [InlineData("""[{"type":"linear","units":40,"tiedTo":"tokens"},{"type":"embedding","name":"tokens","vocabulary":40,"width":16}]""", "model.layers[0].tiedTo", "names no embedding layer before this one")]
    public void TiedHead_ThatDoesNotMatchItsEmbedding_IsReportedAtItsField(string layers, string field, string rule)
    {
        ModelCheck check = ModelRegistry.BuiltIn.Check(Layers([.. JsonSerializer.Deserialize<LayerSpec[]>(layers, SpecJson)!]), LanguageModel);

        Assert.Contains(check.Errors, error => error.Field == field && error.Rule.Contains(rule, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData("classifier")]
    [InlineData("padded classifier")]
    [InlineData("tied language model")]
    public void SequenceModel_RebuiltInPyTorchFromItsStateDict_ComputesTheSameLogits(string kind)
    {
        TestRequirements.PyTorch();
        const int Padding = Vocabulary - 1;
        DataShape shape = kind switch
        {
            "classifier" => Tokens,
            "padded classifier" => Tokens with { PaddingId = Padding },
            _ => LanguageModel,
        };
        ModelSpec spec = ModelRegistry.BuiltIn.Resolve(kind == "tied language model" ? TiedLanguageModel() : EverySequenceLayer(dropout: 0.1), shape);
        using var model = ModelFactory.Create(spec, seed: 7);
        model.eval();
        string weightsPath = Path.Combine(_folder, "model.pt");
        string specPath = Path.Combine(_folder, "model.json");
        string tokensPath = Path.Combine(_folder, "tokens.f32");
        string logitsPath = Path.Combine(_folder, "logits.f32");
        model.save_py(weightsPath);
        File.WriteAllText(specPath, JsonSerializer.Serialize(new { format = PyTorchModelExporter.SpecFormat, model = "layers", inputShape = shape.Input, outputs = shape.Outputs, layers = spec.Layers, paddingId = shape.PaddingId }, SpecJson));
        const int Count = 8;
        using var scope = NewDisposeScope();
        // Token ids as the data arrive: float32 holding whole numbers.
        using var generator = new Generator(11, CPU);
        Tensor tokens = randint(Vocabulary - 1, new long[] { Count, Positions }, generator: generator).to_type(ScalarType.Float32);
        if (shape.PaddingId is { } padding)
        {
            // Texts of 12 tokens down to none (row 7), the rest of each row padding.
            for (int row = 0; row < Count; row++)
            {
                int pads = Math.Min(Positions, row * 2);
                tokens[row].narrow(0, Positions - pads, pads).fill_(padding);
            }
        }

        File.WriteAllBytes(tokensPath, tokens.bytes.ToArray());
        float[] expected;
        using (no_grad())
        {
            expected = model.call(tokens).contiguous().data<float>().ToArray();
        }

        output.WriteLine(SystemPyTorch.Run(SystemPyTorch.Python, Path.Combine(RepositoryPaths.Root, "interop", "pytorch", "durabletrainer_model.py"),
            weightsPath, specPath, tokensPath, Count.ToString(System.Globalization.CultureInfo.InvariantCulture), logitsPath));
        float[] actual = new float[expected.Length];
        Buffer.BlockCopy(File.ReadAllBytes(logitsPath), 0, actual, 0, actual.Length * sizeof(float));

        double largest = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second));
        output.WriteLine($"largest |logit difference| {largest:E3} over {expected.Length} logits");
        Assert.True(largest < 1e-5, $"PyTorch's logits differ from TorchSharp's by up to {largest}");
    }
}
