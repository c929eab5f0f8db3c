using DurableTrainer.Application.Ports;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>
/// GET /api/training/{id}/model[/spec]: a finished run's model as a file PyTorch loads (or safetensors), and the
/// JSON spec that rebuilds it. The run's own stored input gives the recipe, its output the checkpoint.
/// </summary>
public sealed class ModelExportHttpApi(ITrainingRunClient runs, IModelExporter exporter)
{
    private static IReadOnlyDictionary<string, ModelExportFormat> Formats => ApiLimits.ExportFormats;

    /// <summary>
    /// <paramref name="format"/>: pytorch, safetensors, torchscript or onnx; by default torchscript for a model trained
    /// from a TorchScript file and pytorch otherwise. <paramref name="which"/>: final (default) or best.
    /// </summary>
    public Task<ApiResult> GetModelAsync(string runId, string? format, string? which, CancellationToken cancellationToken)
    {
        if (format is not null && !Formats.ContainsKey(format))
        {
            return Task.FromResult(Invalid("format", "must be one of " + string.Join(", ", Formats.Keys)));
        }

        return ExportAsync(runId, format is null ? null : Formats[format], which, cancellationToken);
    }

    public Task<ApiResult> GetSpecAsync(string runId, string? which, CancellationToken cancellationToken) =>
        ExportAsync(runId, ModelExportFormat.Spec, which, cancellationToken);

    private async Task<ApiResult> ExportAsync(string runId, ModelExportFormat? requested, string? which, CancellationToken cancellationToken)
    {
        if (which is not null and not "final" and not "best")
        {
            return Invalid("checkpoint", "must be final or best");
        }

        if (await runs.FindRunAsync(runId, cancellationToken) is not (RunId id, RunRecord run))
        {
            return ProblemDetailsFactory.UnknownRun(runId);
        }

        CheckpointChoice choice = which == "best" ? CheckpointChoice.Best : CheckpointChoice.Final;
        if (RunCheckpoints.Find(id, run, choice) is not ({ } reference, { } recipe))
        {
            return RunCheckpoints.NoModel(id, run, choice, "export");
        }

        bool torchScript = recipe.Model.IsTorchScript();
        ModelExportFormat format = requested ?? (torchScript ? ModelExportFormat.TorchScript : ModelExportFormat.PyTorch);
        if (format == ModelExportFormat.Onnx && torchScript)
        {
            return Invalid("format", "onnx applies to built-in and declarative models; a model trained from a TorchScript file is the user's TorchScript code, which only PyTorch's exporter reads: export it as torchscript and run torch.onnx.export on it");
        }

        if (format == ModelExportFormat.TorchScript && !torchScript)
        {
            return Invalid("format", $"torchscript applies to models trained from a TorchScript file (model.file); this run's model is {recipe.Model.KindName()}: use pytorch or safetensors");
        }

        try
        {
            ExportedModel export = await exporter.ExportAsync(reference, recipe, format, cancellationToken);
            return new ApiResult(200, export.Content, ContentType: export.ContentType, FileName: export.FileName);
        }
        catch (NotSupportedException exception) when (format == ModelExportFormat.Onnx)
        {
            // A layer type without ONNX operators yet (the sequence layers) says so, naming the formats that work.
            return Invalid("format", exception.Message);
        }
        catch (Exception exception) when (exception is CheckpointNotFoundException or CheckpointCorruptException or ModelFileException or DatasetException)
        {
            return new ApiResult(409, new
            {
                type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.10",
                title = "The run's checkpoint cannot be exported.",
                status = 409,
                detail = exception.Message,
            }, ContentType: ProblemDetailsFactory.ContentType);
        }
    }

    private static ApiResult Invalid(string field, string rule) =>
        new(400, ProblemDetailsFactory.Validation([new ValidationError(field, rule)]), ContentType: ProblemDetailsFactory.ContentType);
}
