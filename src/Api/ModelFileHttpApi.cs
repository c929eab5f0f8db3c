using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api;

/// <summary>
/// PUT /api/models/{name}: stores a TorchScript file in the model store, for runs to name as <c>model.file</c>, or a
/// weights file (state dict or safetensors) for <c>model.initFrom.file</c>. The file is checked before anything is
/// written (its name, its size, that libtorch loads it as a module with a one-tensor forward, or that it reads as
/// tensors by key), so a refused upload leaves the store as it was. The answer carries the SHA-256 a run pins.
/// </summary>
public sealed class ModelFileHttpApi(IModelFileStore files, IModelCatalog models)
{
    public const string RoutePrefix = "/api/models/";

    /// <summary>Bodies are read up to this many bytes (and one more, to tell an oversized file).</summary>
    public static int MaxBodyBytes => ModelFileLimits.MaxBytes;

    public async Task<ApiResult> UploadAsync(string name, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!ModelSection.IsValidFileName(name))
        {
            return Refuse(400, "name", ModelSection.FileNameRule);
        }

        if (body.Length > ModelFileLimits.MaxBytes)
        {
            return Refuse(413, "body", $"a model file {ModelFileLimits.Rule}");
        }

        if (body.IsEmpty)
        {
            return Refuse(400, "body", "is empty; send the TorchScript file's bytes (torch.jit.script(model).save(\"net.pt\"))");
        }

        if (models.CheckFile(body, "body") is { Count: > 0 } problems)
        {
            return new ApiResult(400, ProblemDetailsFactory.Validation(problems), ContentType: ProblemDetailsFactory.ContentType);
        }

        StoredModelFile stored = await files.SaveAsync(name, body, cancellationToken);
        return new ApiResult(201, new { name = stored.Name, sha256 = stored.Sha256, bytes = stored.Bytes }, RoutePrefix + stored.Name);
    }

    private static ApiResult Refuse(int status, string field, string rule) =>
        new(status, ProblemDetailsFactory.Validation([new ValidationError(field, rule)], status), ContentType: ProblemDetailsFactory.ContentType);
}
