using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api;

/// <summary>
/// PUT /api/datasets/{path}: stores one data file in the <c>datasets</c> container, for runs to name as
/// <c>data.source</c>, <c>data.test</c> or <c>data.validation</c> (a folder's files are uploaded one by one). The
/// path is checked before anything is written; what the file holds is checked at submission, where the run says
/// which column is the label and what the task is. Larger data goes into the container with any blob tool.
/// </summary>
public sealed class DatasetFileHttpApi(IDatasetStore store)
{
    public const string RoutePrefix = "/api/datasets/";

    /// <summary>Bodies are read up to this many bytes (and one more, to tell an oversized file).</summary>
    public static int MaxBodyBytes => DatasetLimits.MaxUploadBytes;

    public async Task<ApiResult> UploadAsync(string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!DataSection.IsValidPath(path) || path.EndsWith('/'))
        {
            return Refuse(400, "path", DataSection.PathRule + ", and name a file, not a folder");
        }

        if (body.Length > DatasetLimits.MaxUploadBytes)
        {
            return Refuse(413, "body", $"an uploaded data file {DatasetLimits.UploadRule}; put larger data into the container with a blob tool");
        }

        if (body.IsEmpty)
        {
            return Refuse(400, "body", "is empty; send the data file's bytes");
        }

        DatasetFileInfo stored = await store.SaveAsync(DataSection.DefaultContainer, path, body, cancellationToken);
        return new ApiResult(201, new { container = DataSection.DefaultContainer, path = stored.Path, bytes = stored.Bytes }, RoutePrefix + stored.Path);
    }

    private static ApiResult Refuse(int status, string field, string rule) =>
        new(status, ProblemDetailsFactory.Validation([new ValidationError(field, rule)], status), ContentType: ProblemDetailsFactory.ContentType);
}
