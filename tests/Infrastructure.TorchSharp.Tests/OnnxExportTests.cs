using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// ONNX export of trained built-in and declarative models, run in ONNX Runtime, which must give TorchSharp's logits;
/// every file also passes Debian's ONNX checker (python3-onnx 1.12, which scripts/test.sh installs).
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private const int Images = 64;

    private readonly ExecutorHarness _harness = new(testExamples: 256);
    private readonly string _folder = Directory.CreateTempSubdirectory("dt-onnx-").FullName;

    public static TheoryData<string> Models => new() { "mlp", "cnn", "resnet", "layers", "activations" };

    public void Dispose()
    {
        _harness.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task OnnxExport_RunInOnnxRuntime_GivesTorchSharpsLogits_AndPassesTheOnnxChecker(string name)
    {
        TrainingRecipe recipe = RecipeFor(name);
        CheckpointReference trained = (await _harness.ChunkAsync(recipe, await _harness.InitializeAsync(name, recipe), "trained", 0, 30)).Checkpoint;

        ExportedModel export = await new PyTorchModelExporter(_harness.Store, _harness.Datasets).ExportAsync(trained, recipe, ModelExportFormat.Onnx);

        Assert.Equal(name + ".onnx", export.FileName);
        using var scope = NewDisposeScope();
        Tensor images = (await _harness.Datasets.GetAsync(new DataSection(DatasetKind.Synthetic))).Test.Held().Features.narrow(0, 0, Images).contiguous();
        float[] expected = TorchSharpLogits(recipe, trained, images);
        float[] actual = OnnxRuntimeLogits(export.Content, images);
        double largest = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second));
        output.WriteLine($"{name}: largest |logit difference| ONNX Runtime vs TorchSharp = {largest:E3} over {expected.Length} logits");
        Assert.True(largest < 1e-4, $"ONNX Runtime's logits differ from TorchSharp's by up to {largest}");

        string path = Path.Combine(_folder, export.FileName);
        await File.WriteAllBytesAsync(path, export.Content);
        Assert.True(SystemPyTorch.CanImport("onnx", out string why), $"Debian's python3-onnx is needed: {why}");
        string checkerOutput = SystemPyTorch.Run(SystemPyTorch.Python, "-c", OnnxChecker.Script, path);
        Assert.Contains("opset 17", checkerOutput, StringComparison.Ordinal);
        Assert.Contains("durabletrainer.preprocessing", checkerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnnxExport_OfAModelWithoutLayers_SaysWhyNot()
    {
        TrainingRecipe recipe = RecipeFor("mlp");
        CheckpointReference trained = await _harness.InitializeAsync("torchscript-like", recipe);
        ModelSpec spec = SpecOf(recipe) with { Script = new ModelFileContent("net.pt", [1], new string('0', 64)) };

        ArgumentException refusal = Assert.Throws<ArgumentException>(() => PyTorchModelExporter.Export(trained, _harness.Store.Blobs[trained], recipe, spec, ModelExportFormat.Onnx));

        Assert.Contains("TorchScript file does not export as ONNX", refusal.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    private static TrainingRecipe RecipeFor(string name) => name switch
    {
        "mlp" => Recipe(Architecture("mlp", ("hiddenUnits", 32), ("hiddenLayers", 2), ("batchNorm", 1), ("dropout", 0.2)), training: new TrainingSection(BatchSize: 32, Seed: 4)),
        "cnn" => Recipe(Architecture("cnn", ("convChannels", 4), ("batchNorm", 1), ("dropout", 0.2)), training: new TrainingSection(BatchSize: 32, Seed: 4)),
        "resnet" => Recipe(Architecture("resnet", ("width", 4), ("stages", 2), ("blocks", 1), ("dropout", 0.2)), training: new TrainingSection(BatchSize: 32, Seed: 4)),
        "layers" => Recipe(ResidualLayers, training: new TrainingSection(BatchSize: 32, Seed: 4)),
        _ => Recipe(Layers(
            new LayerSpec("conv2d", Channels: 4, Padding: 1), new LayerSpec("gelu"), new LayerSpec("avgpool2d", Kernel: 3, Stride: 2, Padding: 1),
            new LayerSpec("conv2d", Channels: 4), new LayerSpec("sigmoid"), new LayerSpec("globalavgpool2d"),
            new LayerSpec("linear", Units: 16), new LayerSpec("tanh"), new LayerSpec("dropout", P: 0.1), new LayerSpec("linear", Units: 10)),
            training: new TrainingSection(BatchSize: 32, Seed: 4)),
    };

    private float[] TorchSharpLogits(TrainingRecipe recipe, CheckpointReference checkpoint, Tensor images)
    {
        ModelSpec spec = SpecOf(recipe);
        using var model = ModelFactory.Create(spec);
        CheckpointFormat.Read(checkpoint, _harness.Store.Blobs[checkpoint], spec.Describe(), model, null);
        model.eval();
        using (no_grad())
        {
            return model.call(images).contiguous().data<float>().ToArray();
        }
    }

    private static float[] OnnxRuntimeLogits(byte[] model, Tensor images)
    {
        using var session = new InferenceSession(model);
        int[] dimensions = [.. images.shape.Select(size => (int)size)];
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(images.data<float>().ToArray(), dimensions);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
        return [.. results.Single(result => result.Name == "logits").AsEnumerable<float>()];
    }

    /// <summary>Debian's ONNX package, which checks a file the way the ONNX tools a user has would.</summary>
    private static class OnnxChecker
    {
        public const string Script = """
            import sys, onnx
            model = onnx.load(sys.argv[1])
            onnx.checker.check_model(model, full_check=True)
            print("opset", model.opset_import[0].version, [p.key for p in model.metadata_props])
            """;
    }
}
