using DurableTrainer.Application.Contracts;
using System.Text.Json;

namespace DurableTrainer.Cli.Plotting;

/// <summary>One loss value at a global step (a training step, or the mean over a chunk).</summary>
public readonly record struct LossPoint(long Step, double Loss);

/// <summary>A test-set evaluation at a global step.</summary>
/// <summary>A validation evaluation: its loss and its headline score (<see cref="Metric"/>: accuracy, rmse, ...; NaN and null when it had none).</summary>
public readonly record struct EvaluationPoint(long Step, double Loss, double Score, string? Metric = "accuracy");

/// <summary>Something that happened at a step worth marking on a plot: a learning-rate change or a rollback.</summary>
public readonly record struct StepEvent(long Step, string Kind, string Label);

/// <summary>
/// The records of <c>GET /api/training/{runId}/metrics</c>, read tolerantly: unknown kinds and fields are ignored,
/// and a record missing what a plot needs is skipped rather than failing the whole file.
/// </summary>
public sealed record RunMetrics(
    string RunId,
    IReadOnlyList<LossPoint> StepLosses,
    IReadOnlyList<LossPoint> ChunkLosses,
    IReadOnlyList<EvaluationPoint> Evaluations,
    IReadOnlyList<StepEvent> Events)
{
    public bool IsEmpty => StepLosses.Count == 0 && ChunkLosses.Count == 0 && Evaluations.Count == 0;

    /// <exception cref="JsonException">The text is not JSON with a <c>records</c> array.</exception>
    public static RunMetrics Parse(string json, string runId)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        JsonElement records = root.ValueKind switch
        {
            JsonValueKind.Object when root.TryGetProperty("records", out JsonElement array) && array.ValueKind == JsonValueKind.Array => array,
            JsonValueKind.Array => root,
            _ => throw new JsonException("Expected an object with a 'records' array."),
        };
        if (root.ValueKind == JsonValueKind.Object && Text(root, "runId") is { } id)
        {
            runId = id;
        }

        var steps = new List<LossPoint>();
        var chunks = new List<LossPoint>();
        var evaluations = new List<EvaluationPoint>();
        var events = new List<StepEvent>();
        foreach (JsonElement record in records.EnumerateArray())
        {
            if (record.ValueKind != JsonValueKind.Object || Text(record, "kind") is not { } kind || Number(record, "step") is not { } step)
            {
                continue;
            }

            long at = (long)step;
            switch (kind)
            {
                case "step" when Number(record, "loss") is { } loss:
                    steps.Add(new LossPoint(at, loss));
                    break;
                case "chunk" when Number(record, "loss") is { } loss:
                    chunks.Add(new LossPoint(at, loss));
                    break;
                case "evaluation":
                    string? metric = ScoreFields.HeadlineOrder.FirstOrDefault(name => Number(record, name) is not null);
                    evaluations.Add(new EvaluationPoint(at, Number(record, "loss") ?? double.NaN, metric is null ? double.NaN : Number(record, metric)!.Value, metric));
                    break;
                case "learningRate":
                    events.Add(new StepEvent(at, kind, Number(record, "scale") is { } scale ? $"lr x{scale:G3}" : "lr"));
                    break;
                case "rollback":
                    events.Add(new StepEvent(at, kind, "rollback"));
                    break;
                default:
                    break;
            }
        }

        // Several replicas report the same step; the plot shows their mean.
        return new RunMetrics(runId, MeanByStep(steps), MeanByStep(chunks), evaluations.OrderBy(e => e.Step).ToArray(), events.OrderBy(e => e.Step).ToArray());
    }

    private static LossPoint[] MeanByStep(List<LossPoint> points) =>
        points.GroupBy(point => point.Step).OrderBy(group => group.Key).Select(group => new LossPoint(group.Key, group.Average(point => point.Loss))).ToArray();

    private static string? Text(JsonElement record, string name) =>
        record.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement record, string name) =>
        record.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) && double.IsFinite(number)
            ? number
            : null;
}
