using DurableTrainer.Application.Ports;

namespace DurableTrainer.Contracts;

/// <summary>Limits and names the API enforces and a client checks before it asks.</summary>
public static class ApiLimits
{
    /// <summary>The most runs or sweeps one list answer holds.</summary>
    public const int MaxListed = 100;

    /// <summary>The setting that has a worker load a run's data as it starts (<c>Api:WarmUpRun</c>), holding the run as <c>POST /api/training</c> takes it.</summary>
    public const string WarmUpRunSetting = "Api:WarmUpRun";

    /// <summary>The formats <c>GET /api/training/{id}/model?format=</c> exports, by name.</summary>
    public static IReadOnlyDictionary<string, ModelExportFormat> ExportFormats { get; } = new Dictionary<string, ModelExportFormat>(StringComparer.OrdinalIgnoreCase)
    {
        ["pytorch"] = ModelExportFormat.PyTorch,
        ["safetensors"] = ModelExportFormat.Safetensors,
        ["torchscript"] = ModelExportFormat.TorchScript,
        ["onnx"] = ModelExportFormat.Onnx,
    };
}
