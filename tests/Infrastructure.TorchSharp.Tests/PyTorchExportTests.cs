using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.TestSupport;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Exports trained models and loads them in real PyTorch (Debian's python3-torch, at /usr/bin/python3), which must
/// predict what TorchSharp predicts. scripts/test.sh installs python3-torch; where it cannot be had, these tests
/// skip and say why.
/// </summary>
public sealed class PyTorchExportTests(ITestOutputHelper output) : IDisposable
{
    private const int Images = 64;

    private readonly ExecutorHarness _harness = new(testExamples: 256);
    private readonly string _folder = Directory.CreateTempSubdirectory("dt-export-").FullName;

    public static TheoryData<string> Models => new() { "mlp", "cnn", "resnet", "layers" };

    public void Dispose()
    {
        _harness.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public async Task ExportedModel_LoadedInPyTorch_PredictsWhatTorchSharpPredicts(string name)
    {
        TestRequirements.PyTorch();
        TrainingRecipe recipe = ExportedRecipe(name);
        CheckpointReference trained = await TrainAsync(recipe, name);
        var exporter = new PyTorchModelExporter(_harness.Store, _harness.Datasets);
        ExportedModel weights = await exporter.ExportAsync(trained, recipe, ModelExportFormat.PyTorch);
        ExportedModel spec = await exporter.ExportAsync(trained, recipe, ModelExportFormat.Spec);
        string weightsPath = Write(weights);
        string specPath = Write(spec);

        using var scope = NewDisposeScope();
        Tensor images = _harness.Datasets.GetAsync(new DataSection(DatasetKind.Synthetic)).GetAwaiter().GetResult().Test.Held().Features.narrow(0, 0, Images).contiguous();
        float[] expected = TorchSharpLogits(recipe, trained, images);
        string imagesPath = Path.Combine(_folder, "images.f32");
        string logitsPath = Path.Combine(_folder, "logits.f32");
        await File.WriteAllBytesAsync(imagesPath, images.bytes.ToArray());
        string pythonOutput = SystemPyTorch.Run(SystemPyTorch.Python, Path.Combine(RepositoryPaths.Root, "interop", "pytorch", "durabletrainer_model.py"), weightsPath, specPath, imagesPath, Images.ToString(System.Globalization.CultureInfo.InvariantCulture), logitsPath);
        output.WriteLine(pythonOutput);
        float[] actual = new float[expected.Length];
        Buffer.BlockCopy(await File.ReadAllBytesAsync(logitsPath), 0, actual, 0, actual.Length * sizeof(float));

        double maxDifference = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second));
        output.WriteLine($"{name}: max |logit difference| = {maxDifference:E3} over {expected.Length} logits, first logit {expected[0]:R} vs {actual[0]:R}");
        Assert.True(maxDifference < 1e-5, $"PyTorch's logits differ from TorchSharp's by up to {maxDifference}");
        Assert.Equal(ArgMax(expected), ArgMax(actual));
    }

    [Fact]
    public async Task SpecExport_ListsTheNamedLayersTheInputShapeAndTheOutputs()
    {
        TrainingRecipe recipe = ExportedRecipe("layers");
        CheckpointReference trained = await _harness.InitializeAsync("spec-export", recipe);

        ExportedModel export = await new PyTorchModelExporter(_harness.Store, _harness.Datasets).ExportAsync(trained, recipe, ModelExportFormat.Spec);

        using var json = System.Text.Json.JsonDocument.Parse(export.Content);
        System.Text.Json.JsonElement root = json.RootElement;
        Assert.Equal(PyTorchModelExporter.SpecFormat, root.GetProperty("format").GetString());
        Assert.Equal("durabletrainer-model/3", PyTorchModelExporter.SpecFormat);
        Assert.Equal("layers", root.GetProperty("model").GetString());
        Assert.Equal([1, 28, 28], root.GetProperty("inputShape").EnumerateArray().Select(size => size.GetInt32()));
        Assert.Equal(10, root.GetProperty("outputs").GetInt32());
        Assert.Equal(SpecOf(recipe).Describe(), root.GetProperty("spec").GetString());
        System.Text.Json.JsonElement down = root.GetProperty("layers").EnumerateArray().Single(layer => layer.GetProperty("name").GetString() == "down");
        Assert.Equal("residual", down.GetProperty("type").GetString());
        Assert.Equal(["conv2d1", "batchnorm2", "tanh3", "conv2d4"], down.GetProperty("layers").EnumerateArray().Select(layer => layer.GetProperty("name").GetString()));
        Assert.Equal(["conv2d1", "batchnorm2"], down.GetProperty("shortcut").EnumerateArray().Select(layer => layer.GetProperty("name").GetString()));
        Assert.EndsWith(".json", export.FileName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SafetensorsExport_ReadsBackToTheCheckpointsTensors()
    {
        TrainingRecipe recipe = Recipe(
            Architecture("mlp", ("hiddenUnits", 16), ("batchNorm", 1)),
            new OptimizerSection(OptimizerKind.Sgd, LearningRate: 0.1, Momentum: 0.9),
            new TrainingSection(BatchSize: 32, Seed: 4));
        CheckpointReference trained = await TrainAsync(recipe, "safetensors");

        ExportedModel export = await new PyTorchModelExporter(_harness.Store, _harness.Datasets).ExportAsync(trained, recipe, ModelExportFormat.Safetensors);

        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> tensors = Safetensors.LoadStateDict(new MemoryStream(export.Content), leaveOpen: false, keysToKeep: null);
        ModelSpec spec = SpecOf(recipe);
        using var model = ModelFactory.Create(spec);
        CheckpointFormat.Read(trained, _harness.Store.Blobs[trained], spec.Describe(), model, null);
        Assert.Equal(model.state_dict().Keys.Order(), tensors.Keys.Order());
        Assert.All(model.state_dict(), pair => Assert.True(pair.Value.eq(tensors[pair.Key]).all().item<bool>(), pair.Key));
        Assert.EndsWith(".safetensors", export.FileName, StringComparison.Ordinal);
    }

    /// <summary>The exported models: each built-in with batch norm and dropout where it has them, and a declarative one with residual blocks.</summary>
    private static TrainingRecipe ExportedRecipe(string name) => name switch
    {
        "mlp" => Recipe(Architecture("mlp", ("hiddenUnits", 32), ("hiddenLayers", 2), ("batchNorm", 1), ("dropout", 0.2)), training: new TrainingSection(BatchSize: 32, Seed: 4)),
        "cnn" => Recipe(
            Architecture("cnn", ("convChannels", 4), ("batchNorm", 1), ("dropout", 0.2)),
            new OptimizerSection(OptimizerKind.AdamW, LearningRate: 1e-3, WeightDecay: 1e-2),
            new TrainingSection(BatchSize: 32, Seed: 4)),
        "resnet" => Recipe(Architecture("resnet", ("width", 4), ("stages", 2), ("blocks", 1), ("dropout", 0.2)), training: new TrainingSection(BatchSize: 32, Seed: 4)),
        _ => Recipe(ResidualLayers, training: new TrainingSection(BatchSize: 32, Seed: 4)),
    };

    private async Task<CheckpointReference> TrainAsync(TrainingRecipe recipe, string runId) =>
        (await _harness.ChunkAsync(recipe, await _harness.InitializeAsync(runId, recipe), "trained", 0, 30)).Checkpoint;

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

    private static int[] ArgMax(float[] logits) =>
        logits.Chunk(Synthetic.Outputs).Select(row => Array.IndexOf(row, row.Max())).ToArray();

    private string Write(ExportedModel export)
    {
        string path = Path.Combine(_folder, export.FileName);
        File.WriteAllBytes(path, export.Content);
        return path;
    }
}
