using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using ScottPlot;

namespace DurableTrainer.Cli.Plotting;

/// <summary>One trial's validation curve: its evaluations' values of the sweep's metric, by step.</summary>
public sealed record TrialCurve(SweepTrialView Trial, IReadOnlyList<(long Step, double Value)> Points)
{
    /// <summary>
    /// The sweep metric's values from a metrics-route answer, read tolerantly like <see cref="RunMetrics.Parse"/>:
    /// evaluation records only, those without a finite value of <paramref name="metric"/> skipped.
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON with a <c>records</c> array.</exception>
    public static IReadOnlyList<(long Step, double Value)> Read(string json, string metric)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("records", out JsonElement records) || records.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("Expected an object with a 'records' array.");
        }

        var points = new SortedDictionary<long, double>();
        foreach (JsonElement record in records.EnumerateArray())
        {
            if (record.ValueKind == JsonValueKind.Object
                && record.TryGetProperty("kind", out JsonElement kind) && kind.ValueKind == JsonValueKind.String && kind.GetString() == TrainingJournalKinds.NameOf(TrainingJournalKind.Evaluation)
                && record.TryGetProperty("step", out JsonElement step) && step.ValueKind == JsonValueKind.Number && step.TryGetInt64(out long at)
                && record.TryGetProperty(metric, out JsonElement value) && value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()))
            {
                points[at] = value.GetDouble();
            }
        }

        return [.. points.Select(point => (point.Key, point.Value))];
    }
}

/// <summary>
/// A sweep's trials in one PNG: every trial's validation curve on one chart. Trials ASHA stopped are dashed and end
/// in a cross at the rung where they stopped; the best trial is drawn thick; dotted vertical lines mark the rungs.
/// </summary>
public static class SweepPlot
{
    private const int MaxLegendEntries = 16;

    public static void SavePng(SweepRecord sweep, IReadOnlyList<TrialCurve> curves, string path, int width = 1200, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(curves);
        using var plot = new Plot();
        plot.Title($"Sweep {sweep.SweepId}: validation {sweep.Metric} ({sweep.Mode}) of {sweep.Trials.Count} trials, scheduler {sweep.Scheduler}");
        plot.XLabel("step");
        plot.YLabel($"validation {sweep.Metric}");
        var palette = new ScottPlot.Palettes.Category10();
        AddRungLines(plot, sweep);
        bool legend = curves.Count(curve => curve.Points.Count > 0) <= MaxLegendEntries;
        foreach (TrialCurve curve in curves.Where(curve => curve.Points.Count > 0))
        {
            AddTrialCurve(plot, sweep, curve, palette, legend);
        }

        if (curves.All(curve => curve.Points.Count == 0))
        {
            plot.Add.Annotation("No trial has evaluated yet.");
        }
        else if (MonitorMetrics.IsFraction(sweep.Metric))
        {
            plot.Axes.AutoScale();
            var limits = plot.Axes.GetLimits();
            plot.Axes.SetLimitsY(Math.Max(0, limits.Bottom), Math.Min(1.02, limits.Top));
        }

        if (legend)
        {
            plot.ShowLegend(Edge.Right);
        }

        SaveCreatingDirectory(plot, path, width, height);
    }

    private static void AddRungLines(Plot plot, SweepRecord sweep)
    {
        foreach (long rung in sweep.Rungs)
        {
            var line = plot.Add.VerticalLine(rung);
            line.Color = Colors.Gray.WithAlpha(0.6);
            line.LinePattern = LinePattern.Dotted;
            line.LineWidth = 1;
        }
    }

    private static void AddTrialCurve(Plot plot, SweepRecord sweep, TrialCurve curve, ScottPlot.Palettes.Category10 palette, bool legend)
    {
        SweepTrialView trial = curve.Trial;
        bool stopped = trial.Status == "Stopped";
        bool best = trial.Index == sweep.BestTrial;
        var scatter = plot.Add.Scatter(curve.Points.Select(point => (double)point.Step).ToArray(), curve.Points.Select(point => point.Value).ToArray());
        scatter.Color = palette.GetColor(trial.Index).WithAlpha(stopped ? 0.75 : 1.0);
        scatter.LineWidth = best ? 3.5f : 1.5f;
        scatter.LinePattern = stopped ? LinePattern.Dashed : LinePattern.Solid;
        scatter.MarkerSize = 4;
        if (legend)
        {
            scatter.LegendText = $"trial {trial.Index}{(best ? " (best)" : string.Empty)}{(stopped ? " (stopped)" : string.Empty)}: {Parameters(trial)}";
        }

        if (stopped)
        {
            MarkWhereStopped(plot, curve);
        }
    }

    private static void MarkWhereStopped(Plot plot, TrialCurve curve)
    {
        (long step, double value) = curve.Points[^1];
        var cross = plot.Add.Marker(step, value);
        cross.Shape = MarkerShape.Cross;
        cross.Size = 14;
        cross.LineWidth = 2.5f;
        cross.Color = Colors.Crimson;
    }

    private static void SaveCreatingDirectory(Plot plot, string path, int width, int height)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, width, height);
    }

    private static string Parameters(SweepTrialView trial) =>
        string.Join(", ", trial.Parameters.Select(parameter => $"{parameter.Key.Split('.')[^1]}={Value(parameter.Value)}"));

    private static string Value(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : value.ToString();
}
