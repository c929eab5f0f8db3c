using ScottPlot;

namespace DurableTrainer.Cli.Plotting;

/// <summary>
/// A run's curves in one PNG: training loss per step (faint) and as chunk means (bold) on the left axis, test
/// accuracy at each evaluation on the right axis, learning-rate changes and rollbacks as dashed vertical lines.
/// </summary>
public static class TrainingPlot
{
    public static void SavePng(RunMetrics metrics, string path, int width = 1200, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        using var plot = new Plot();
        plot.Title($"Training run {metrics.RunId}");
        plot.XLabel("global step");
        plot.YLabel("training loss");
        AddTrainingLoss(plot, metrics);
        AddValidationLoss(plot, metrics);
        AddValidationScore(plot, metrics);
        AddEventLines(plot, metrics);
        SetAxisLimits(plot, metrics);
        if (metrics.IsEmpty)
        {
            plot.Add.Annotation("No metrics recorded yet.");
        }

        plot.ShowLegend(Edge.Bottom);
        SaveCreatingDirectory(plot, path, width, height);
    }

    private static void AddTrainingLoss(Plot plot, RunMetrics metrics)
    {
        if (metrics.StepLosses.Count > 0)
        {
            var steps = plot.Add.ScatterLine(metrics.StepLosses.Select(p => (double)p.Step).ToArray(), metrics.StepLosses.Select(p => p.Loss).ToArray());
            steps.Color = Colors.SteelBlue.WithAlpha(0.35);
            steps.LineWidth = 1;
            steps.LegendText = "loss per step";
        }

        if (metrics.ChunkLosses.Count > 0)
        {
            var chunks = plot.Add.Scatter(metrics.ChunkLosses.Select(p => (double)p.Step).ToArray(), metrics.ChunkLosses.Select(p => p.Loss).ToArray());
            chunks.Color = Colors.Navy;
            chunks.LineWidth = 2.5f;
            chunks.MarkerSize = 6;
            chunks.LegendText = "loss, chunk mean";
        }
    }

    private static void AddValidationLoss(Plot plot, RunMetrics metrics)
    {
        EvaluationPoint[] withLoss = metrics.Evaluations.Where(e => double.IsFinite(e.Loss)).ToArray();
        if (withLoss.Length > 0)
        {
            var testLoss = plot.Add.Scatter(withLoss.Select(e => (double)e.Step).ToArray(), withLoss.Select(e => e.Loss).ToArray());
            testLoss.Color = Colors.DarkOrange;
            testLoss.LineWidth = 1.5f;
            testLoss.LinePattern = LinePattern.Dashed;
            testLoss.MarkerSize = 7;
            testLoss.MarkerShape = MarkerShape.OpenSquare;
            testLoss.LegendText = "validation loss";
        }
    }

    private static void AddValidationScore(Plot plot, RunMetrics metrics)
    {
        EvaluationPoint[] scored = metrics.Evaluations.Where(e => e.Metric is not null && double.IsFinite(e.Score)).ToArray();
        if (scored.Length > 0)
        {
            string metric = scored[0].Metric!;
            var accuracy = plot.Add.Scatter(scored.Select(e => (double)e.Step).ToArray(), scored.Select(e => e.Score).ToArray());
            accuracy.Color = Colors.ForestGreen;
            accuracy.LineWidth = 2.5f;
            accuracy.MarkerSize = 9;
            accuracy.MarkerShape = MarkerShape.FilledDiamond;
            accuracy.LegendText = $"validation {metric} (right axis)";
            accuracy.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = $"validation {metric}";
        }
    }

    private static void AddEventLines(Plot plot, RunMetrics metrics)
    {
        foreach (StepEvent stepEvent in metrics.Events)
        {
            var line = plot.Add.VerticalLine(stepEvent.Step);
            line.Color = stepEvent.Kind == "rollback" ? Colors.Crimson : Colors.Purple;
            line.LinePattern = LinePattern.Dashed;
            line.LineWidth = 1.5f;
            line.Text = stepEvent.Label;
        }
    }

    private static void SetAxisLimits(Plot plot, RunMetrics metrics)
    {
        if (metrics.StepLosses.Count + metrics.ChunkLosses.Count > 0)
        {
            // Loss is never negative; keep noise from drawing the axis below zero.
            plot.Axes.AutoScale();
            var limits = plot.Axes.GetLimits(plot.Axes.Bottom, plot.Axes.Left);
            plot.Axes.SetLimitsY(0, limits.Top, plot.Axes.Left);
        }

        if (metrics.Evaluations.Count > 0)
        {
            plot.Axes.SetLimitsY(0, 1, plot.Axes.Right);
        }
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
}
