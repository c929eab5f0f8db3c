using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>
/// A page of a run's journal as the metrics route answers it: the records written after the request's cursor, and
/// the cursor to send next (<c>?after=</c>) for only what is new.
/// </summary>
public sealed record RunMetrics(RunId RunId, IReadOnlyList<TrainingJournalRecord> Records, long Cursor);

/// <summary>
/// The read-only routes behind the dashboard, shared by both hosts: a run's metrics journal, a checkpoint's bytes,
/// and the dashboard page itself (one embedded HTML file with inline script and the uPlot chart library; it needs
/// nothing from the internet).
/// </summary>
public sealed class TrainingDashboardApi(ITrainingRunClient runs, ITrainingJournalReader journal, ICheckpointStore checkpoints)
{
    public const string HtmlContentType = "text/html; charset=utf-8";
    public const string BinaryContentType = "application/octet-stream";
    private const string ProblemJson = "application/problem+json";
    private const int MaxNameSegments = 4;
    private const int MaxSegmentLength = 63;

    private static readonly Lazy<string> Page = new(LoadPage);

    /// <summary>GET /dashboard and GET /dashboard/{runId}: the page reads the run id from its own address.</summary>
    public static ApiResult Dashboard() => new(200, Page.Value, ContentType: HtmlContentType);

    /// <summary>
    /// GET /api/training/{runId}/metrics[?after=CURSOR][&amp;kind=K1,K2]: the journal written after the cursor (all of
    /// it without one), one record per fact, sorted by step then time; only the kinds named, when some are. The cursor
    /// advances over every kind, so a filtered poll still skips what it has seen.
    /// </summary>
    public async Task<ApiResult> GetMetricsAsync(string runId, string? after, string? kind, CancellationToken cancellationToken)
    {
        var problems = new List<ValidationError>();
        long cursor = 0;
        if (after is not null && (!long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cursor)))
        {
            problems.Add(new ValidationError("after", "must be a cursor a previous answer gave: a whole number, 0 or more"));
        }

        string[] kinds = kind is null ? [] : kind.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (string unknown in kinds.Where(name => !TrainingJournalKinds.TryParse(name, out _)))
        {
            problems.Add(new ValidationError("kind", $"'{unknown}' is not a record kind; the kinds are {string.Join(", ", TrainingJournalKinds.All)}"));
        }

        if (kind is not null && kinds.Length == 0)
        {
            problems.Add(new ValidationError("kind", $"must name at least one record kind: {string.Join(", ", TrainingJournalKinds.All)}"));
        }

        if (problems.Count > 0)
        {
            return new ApiResult(400, ProblemDetailsFactory.Validation(problems), ContentType: ProblemJson);
        }

        if (await ExistingRunAsync(runId, cancellationToken) is not { } id)
        {
            return ProblemDetailsFactory.UnknownRun(runId);
        }

        TrainingJournalPage page = await journal.ReadAsync(id, cursor, cancellationToken);
        IReadOnlyList<TrainingJournalRecord> records = kinds.Length == 0 ? page.Records : [.. page.Records.Where(record => kinds.Contains(TrainingJournalKinds.NameOf(record.Kind), StringComparer.Ordinal))];
        return new ApiResult(200, new RunMetrics(id, records, page.Cursor));
    }

    /// <summary>GET /api/training/{runId}/checkpoints/{*name}: the checkpoint's bytes, checked against its hash.</summary>
    public async Task<ApiResult> GetCheckpointAsync(string runId, string? name, CancellationToken cancellationToken)
    {
        string? checkpointName = NormalizeCheckpointName(name);
        if (checkpointName is null)
        {
            return new ApiResult(404, Problem(404, "No such checkpoint.", "A checkpoint name is one to four '/'-separated segments of lower-case letters, digits and hyphens, such as 'round-000002/merged'."), ContentType: ProblemJson);
        }

        if (await ExistingRunAsync(runId, cancellationToken) is not { } id)
        {
            return ProblemDetailsFactory.UnknownRun(runId);
        }

        var reference = new CheckpointReference(id, checkpointName);
        try
        {
            byte[] content = await checkpoints.LoadAsync(reference, cancellationToken);
            return new ApiResult(200, content, ContentType: BinaryContentType);
        }
        catch (CheckpointNotFoundException)
        {
            return new ApiResult(404, Problem(404, "No such checkpoint.", $"Run '{runId}' has no checkpoint '{checkpointName}' (it may have been pruned)."), ContentType: ProblemJson);
        }
        catch (CheckpointCorruptException corrupt)
        {
            return new ApiResult(500, Problem(500, "The checkpoint failed its integrity check.", corrupt.Message), ContentType: ProblemJson);
        }
    }

    /// <summary>
    /// Accepts names as the journal writes them (<c>round-000002/merged</c>), with or without <c>.ckpt</c>; anything
    /// else (dots, empty or too many segments, upper case, escapes) is refused before it reaches a blob name.
    /// </summary>
    public static string? NormalizeCheckpointName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        if (name.EndsWith(".ckpt", StringComparison.Ordinal))
        {
            name = name[..^".ckpt".Length];
        }

        string[] segments = name.Split('/');
        bool valid = segments.Length <= MaxNameSegments && segments.All(segment =>
            segment.Length is > 0 and <= MaxSegmentLength
            && (char.IsAsciiLetterLower(segment[0]) || char.IsAsciiDigit(segment[0]))
            && segment.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'));
        return valid ? name : null;
    }

    /// <summary>The run of that id when the text is one and the run exists; null otherwise.</summary>
    private async Task<RunId?> ExistingRunAsync(string runId, CancellationToken cancellationToken) =>
        (await runs.FindRunAsync(runId, cancellationToken))?.Id;

    private static object Problem(int status, string title, string detail) => new
    {
        type = status == 404 ? "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.5" : "https://datatracker.ietf.org/doc/html/rfc9110#section-15.6.1",
        title,
        status,
        detail,
    };

    /// <summary>
    /// The page with the metrics' names and the chart library (embedded from npm at build time) spliced in at their
    /// markers, so a new metric needs no edit here.
    /// </summary>
    private static string LoadPage() => Resource("DurableTrainer.Api.Dashboard.html")
        .Replace("/* score names */[]", JsonSerializer.Serialize(MonitorMetrics.ScoreNames), StringComparison.Ordinal)
        .Replace("/* fraction names */[]", JsonSerializer.Serialize(MonitorMetrics.ScoreNames.Where(MonitorMetrics.IsFraction)), StringComparison.Ordinal)
        .Replace("<!-- chart library: style -->", "<style>" + Resource("DurableTrainer.Api.Dashboard.uPlot.css") + "</style>", StringComparison.Ordinal)
        .Replace("<!-- chart library: script -->", "<script>" + Resource("DurableTrainer.Api.Dashboard.uPlot.js") + "</script>", StringComparison.Ordinal);

    private static string Resource(string name)
    {
        using Stream stream = typeof(TrainingDashboardApi).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard's resource '{name}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
