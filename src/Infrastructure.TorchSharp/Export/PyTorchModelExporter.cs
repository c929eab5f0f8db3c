using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Export;

/// <summary>
/// Exports a checkpoint's model for PyTorch: the state dict (same keys as our layer names, so
/// <c>interop/pytorch/durabletrainer_model.py</c> rebuilds an identical <c>nn.Sequential</c>) and a JSON spec.
/// </summary>
public sealed class PyTorchModelExporter(ICheckpointStore checkpoints) : IModelExporter
{
    public const string SpecFormat = "durabletrainer-model/1";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<ExportedModel> ExportAsync(CheckpointReference checkpoint, TrainingRecipe recipe, ModelExportFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        byte[] content = await checkpoints.LoadAsync(checkpoint, cancellationToken);
        return Export(checkpoint, content, recipe, format);
    }

    public static ExportedModel Export(CheckpointReference checkpoint, byte[] content, TrainingRecipe recipe, ModelExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(recipe);
        string baseName = checkpoint.RunId;
        if (format == ModelExportFormat.Spec)
        {
            CheckpointMetadata metadata = CheckpointFormat.ReadMetadata(checkpoint, content);
            return new ExportedModel(baseName + ".json", "application/json", JsonSerializer.SerializeToUtf8Bytes(DescribeExport(checkpoint, recipe, metadata), Json));
        }

        ModelSpec spec = ModelSpec.From(recipe);
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec);
        CheckpointFormat.Read(checkpoint, content, spec.Describe(), model, null);
        using var stream = new MemoryStream();
        if (format == ModelExportFormat.Safetensors)
        {
            model.save_safetensors(stream, leaveOpen: true);
            return new ExportedModel(baseName + ".safetensors", "application/octet-stream", stream.ToArray());
        }

        model.save_py(stream, leaveOpen: true);
        return new ExportedModel(baseName + ".pt", "application/octet-stream", stream.ToArray());
    }

    private static ExportedModelSpec DescribeExport(CheckpointReference checkpoint, TrainingRecipe recipe, CheckpointMetadata metadata)
    {
        ModelSpec spec = ModelSpec.From(recipe);
        string preprocessing = recipe.Dataset == DatasetKind.FashionMnist
            ? FormattableString.Invariant($"x = (pixel / 255 - {FashionMnistLoader.Mean}) / {FashionMnistLoader.StandardDeviation}, pixels as float32 [N, 1, 28, 28]")
            : "synthetic data is generated already standardized, float32 [N, 1, 28, 28]";
        return new ExportedModelSpec(
            SpecFormat,
            spec.Name,
            spec.HiddenUnits,
            spec.HiddenLayers,
            spec.ConvChannels,
            spec.BatchNorm,
            spec.Dropout,
            [ModelSpec.InputChannels, ModelSpec.InputHeight, ModelSpec.InputWidth],
            ModelSpec.Classes,
            preprocessing,
            spec.Describe(),
            checkpoint.ToString(),
            metadata.Cursor.ReplicaSteps,
            metadata.HyperparameterHash,
            metadata.TorchSharpVersion,
            metadata.LibTorchVersion);
    }
}

/// <summary>The JSON an export's spec holds; <c>interop/pytorch/durabletrainer_model.py</c> reads it.</summary>
public sealed record ExportedModelSpec(
    string Format,
    string Model,
    int HiddenUnits,
    int HiddenLayers,
    int ConvChannels,
    bool BatchNorm,
    double Dropout,
    int[] InputShape,
    int Classes,
    string Preprocessing,
    string Spec,
    string Checkpoint,
    long ReplicaSteps,
    string HyperparameterHash,
    string TorchSharpVersion,
    string LibTorchVersion);
