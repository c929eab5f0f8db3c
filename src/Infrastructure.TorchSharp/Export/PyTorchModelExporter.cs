using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.TorchScript;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Export;

/// <summary>
/// Exports a checkpoint's model for PyTorch: the state dict (same keys as our layer names, so
/// <c>interop/pytorch/durabletrainer_model.py</c> rebuilds an identical model from the spec's named layers) and a
/// JSON spec. A model trained from a TorchScript file also exports as TorchScript: the user's module with the
/// trained weights, which <c>torch.jit.load</c> reads as it is.
/// </summary>
public sealed class PyTorchModelExporter(ICheckpointStore checkpoints, DatasetProvider datasets, ModelRegistry? models = null) : IModelExporter
{
    public const string SpecFormat = "durabletrainer-model/3";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<ExportedModel> ExportAsync(CheckpointReference checkpoint, TrainingRecipe recipe, ModelExportFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(recipe);
        byte[] content = await checkpoints.LoadAsync(checkpoint, cancellationToken);
        LoadedDataset dataset = await datasets.GetAsync(recipe.Data, cancellationToken);
        ModelSpec spec = await (models ?? ModelRegistry.BuiltIn).ResolveAsync(recipe.Model, dataset.Shape, cancellationToken);
        return await TensorThreads.RunAsync(() => Export(checkpoint, content, recipe, spec, format, ExportedPreprocessing.Of(dataset)), cancellationToken: cancellationToken);
    }

    public static ExportedModel Export(CheckpointReference checkpoint, byte[] content, TrainingRecipe recipe, ModelSpec spec, ModelExportFormat format, ExportedPreprocessing? preprocessing = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(spec);
        string baseName = checkpoint.RunId.Value;
        if (format == ModelExportFormat.Spec)
        {
            CheckpointMetadata metadata = CheckpointFormat.ReadMetadata(checkpoint, content);
            return new ExportedModel(baseName + ".json", "application/json", JsonSerializer.SerializeToUtf8Bytes(DescribeExport(checkpoint, spec, metadata, preprocessing), Json));
        }

        if (format == ModelExportFormat.TorchScript && spec.Script is null)
        {
            throw new ArgumentException($"Only a model trained from a TorchScript file exports as TorchScript; this one is {spec.Kind}.", nameof(format));
        }

        if (format == ModelExportFormat.Onnx && spec.Script is not null)
        {
            throw new ArgumentException(
                "A model trained from a TorchScript file does not export as ONNX here: its graph is the user's TorchScript code, which only PyTorch's exporter reads " +
                "(torch.onnx.export on the module `dtrain export --format torchscript` writes); built-in and declarative models export as ONNX.", nameof(format));
        }

        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec);
        CheckpointMetadata read = CheckpointFormat.Read(checkpoint, content, spec.Describe(), model, null);
        if (format == ModelExportFormat.Onnx)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["durabletrainer.checkpoint"] = checkpoint.ToString(),
                ["durabletrainer.model"] = spec.Kind,
                ["durabletrainer.spec"] = spec.Describe(),
            };
            if (preprocessing is not null)
            {
                metadata["durabletrainer.preprocessing"] = JsonSerializer.Serialize(preprocessing, Json);
            }

            byte[] onnx = Onnx.OnnxGraph.Write(spec.Layers, spec.Shape.Input, spec.Shape.Outputs, model.state_dict(), metadata, read.TorchSharpVersion);
            return new ExportedModel(baseName + ".onnx", "application/octet-stream", onnx);
        }

        // A TorchScript model's state dict is the user's module's own, without the executor's wrapper prefix.
        nn.Module network = model is ScriptedNetwork scripted ? scripted.Script : model;
        if (format == ModelExportFormat.TorchScript)
        {
            return new ExportedModel(baseName + ".pt", "application/octet-stream", SaveTorchScript(((ScriptedNetwork)model).Script));
        }

        using var stream = new MemoryStream();
        if (format == ModelExportFormat.Safetensors)
        {
            network.save_safetensors(stream, leaveOpen: true);
            return new ExportedModel(baseName + ".safetensors", "application/octet-stream", stream.ToArray());
        }

        network.save_py(stream, leaveOpen: true);
        return new ExportedModel(baseName + ".pt", "application/octet-stream", stream.ToArray());
    }

    // libtorch saves a script module to a file only (its save into memory writes nothing), so through a temporary file.
    private static byte[] SaveTorchScript(jit.ScriptModule script)
    {
        string path = Path.Combine(Path.GetTempPath(), $"durabletrainer-export-{Guid.NewGuid():N}.pt");
        try
        {
            jit.save(script, path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ExportedModelSpec DescribeExport(CheckpointReference checkpoint, ModelSpec spec, CheckpointMetadata metadata, ExportedPreprocessing? preprocessing)
    {
        return new ExportedModelSpec(
            SpecFormat,
            spec.Kind,
            spec.Section.Parameters,
            spec.Layers,
            [.. spec.Shape.Input],
            spec.Shape.Outputs,
            spec.Script?.Name,
            spec.Script?.Sha256,
            preprocessing,
            spec.Describe(),
            checkpoint.ToString(),
            metadata.Cursor.ReplicaSteps,
            metadata.HyperparameterHash,
            metadata.TorchSharpVersion,
            metadata.LibTorchVersion)
        {
            PaddingId = spec.Shape.PaddingId,
        };
    }
}

/// <summary>
/// How inputs were prepared in training, so an exported model is fed the same way: <c>x = (features - mean) / std</c>
/// with <see cref="Mean"/> and <see cref="Std"/> per <see cref="Axis"/> (feature, channel, or all); a regression
/// model's outputs are standardized targets, so <c>y = output * targetStd + targetMean</c>; a classifier's output i is
/// <see cref="ClassNames"/>[i]. Image pixels are read as intensities in [0, 1] first; tables' categorical columns are
/// one-hot encoded as <see cref="FeatureNames"/> (column=category) list.
/// </summary>
public sealed record ExportedPreprocessing(
    string Task,
    string Axis,
    float[] Mean,
    float[] Std,
    double[]? TargetMean,
    double[]? TargetStd,
    IReadOnlyList<string>? ClassNames,
    IReadOnlyList<string>? FeatureNames)
{
    /// <summary>A language model's tokenizer, vocabulary (char: id by id) and context; null for other data.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ExportedText? Text { get; init; }

    public static ExportedPreprocessing Of(LoadedDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Preprocessing p = dataset.Preprocessing;
        return new(SpecificationNames.Of(dataset.Task), p.Axis, p.FeatureMean, p.FeatureStd, p.TargetMean, p.TargetStd, p.ClassNames, p.FeatureNames)
        {
            Text = p.Text is { } text
                ? new ExportedText(text.Tokenizer is { } kind ? SpecificationNames.Of(kind) : null, text.Vocabulary, text.VocabularySize, text.ContextLength, text.UnknownInValidation, text.UnknownInTest) { PaddingId = text.PaddingId }
                : null,
        };
    }
}

/// <summary>How a language model's text became ids: <c>tokenizer</c> (null for ids given as arrays), the char vocabulary, the context, and the unknown tokens of validation and test.</summary>
public sealed record ExportedText(string? Tokenizer, IReadOnlyList<string>? Vocabulary, int VocabularySize, int ContextLength, long UnknownInValidation, long UnknownInTest)
{
    /// <summary>The id that pads a table's texts to the context; null for a language model.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? PaddingId { get; init; }
}

/// <summary>
/// The JSON an export's spec holds; <c>interop/pytorch/durabletrainer_model.py</c> rebuilds the model from
/// <see cref="Layers"/> (named, every size given) at <see cref="InputShape"/>. A TorchScript model has no layers
/// here: it names the <see cref="File"/> it was trained from, whose SHA-256 is <see cref="FileSha256"/>.
/// </summary>
public sealed record ExportedModelSpec(
    string Format,
    string Model,
    IReadOnlyDictionary<string, double>? Parameters,
    IReadOnlyList<LayerSpec> Layers,
    int[] InputShape,
    int Outputs,
    string? File,
    string? FileSha256,
    ExportedPreprocessing? Preprocessing,
    string Spec,
    string Checkpoint,
    long ReplicaSteps,
    string HyperparameterHash,
    string TorchSharpVersion,
    string LibTorchVersion)
{
    /// <summary>The id that pads texts to the context, for a model reading a table's texts: its positions are left out of attention and pooling.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? PaddingId { get; init; }
}
