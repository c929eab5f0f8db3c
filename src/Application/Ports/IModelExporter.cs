using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>Turns a checkpoint into a file other tools load: PyTorch's own format, safetensors, or the model's spec.</summary>
public interface IModelExporter
{
    Task<ExportedModel> ExportAsync(CheckpointReference checkpoint, TrainingRecipe recipe, ModelExportFormat format, CancellationToken cancellationToken = default);
}

public enum ModelExportFormat
{
    /// <summary>A state dict that <c>torch.load</c> reads (zip-based pickle, <c>.pt</c>).</summary>
    PyTorch,

    /// <summary>The same tensors as a <c>.safetensors</c> file.</summary>
    Safetensors,

    /// <summary>The trained TorchScript module itself (<c>torch.jit.load</c>), for models trained from a TorchScript file.</summary>
    TorchScript,

    /// <summary>
    /// An ONNX model (opset 17) of a built-in or declarative model: input <c>features</c> (preprocessed, dynamic batch),
    /// output <c>logits</c>; the preprocessing travels in its metadata.
    /// </summary>
    Onnx,

    /// <summary>JSON describing the architecture, layer names, input preprocessing and provenance, to rebuild the model.</summary>
    Spec,
}

public sealed record ExportedModel(string FileName, string ContentType, byte[] Content);
