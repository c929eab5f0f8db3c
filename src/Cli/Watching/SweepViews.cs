using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DurableTrainer.Cli.Watching;

/// <summary>How a sweep is shown: a live table of trials on a terminal, a line per trial change elsewhere, and the closing summary and JSON line.</summary>
public static class SweepViews
{
    public static bool IsRunning(SweepStatusView status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.RuntimeStatus.IsRunning() || status.Sweep.Status == "Running" && status.RuntimeStatus is not (InstanceRuntimeStatus.Failed or InstanceRuntimeStatus.Terminated);
    }

    public static string Parameters(SweepTrialView trial) =>
        string.Join(" ", trial.Parameters.Select(parameter => $"{Short(parameter.Key)}={parameter.Value.GetRawText()}"));

    /// <summary>One line for a trial: what the plain view prints when the trial changes.</summary>
    public static string Line(SweepRecord sweep, SweepTrialView trial)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(trial);
        string metric = trial.Metric is { } value ? $", {sweep.Metric} {value.ToString("F4", CultureInfo.InvariantCulture)}" : string.Empty;
        string rung = trial.LastRung is { } last ? $", rung {last + 1}" : string.Empty;
        string reason = trial.Reason is { } why && trial.Status is "Stopped" or "Failed" or "NotStarted" or "Stopping" ? $" ({why})" : string.Empty;
        return $"trial {trial.Index} [{Parameters(trial)}] {trial.Status}: {trial.Steps}/{trial.PlannedSteps} steps{rung}{metric}{reason}";
    }

    public static IRenderable Table(SweepStatusView status)
    {
        ArgumentNullException.ThrowIfNull(status);
        SweepRecord sweep = status.Sweep;
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"Sweep {Markup.Escape(sweep.SweepId)}: {Markup.Escape(status.RuntimeStatus.ToString())}, {sweep.StepsDone} steps, scheduler {Markup.Escape(sweep.Scheduler)}")
            .AddColumn("#").AddColumn("parameters").AddColumn("status").AddColumn(new TableColumn("steps").RightAligned())
            .AddColumn(new TableColumn("rung").RightAligned()).AddColumn(new TableColumn(Markup.Escape(sweep.Metric)).RightAligned());
        foreach (SweepTrialView trial in sweep.Trials)
        {
            string mark = trial.Index == sweep.BestTrial ? " *" : string.Empty;
            table.AddRow(
                trial.Index.ToString(CultureInfo.InvariantCulture) + mark,
                Markup.Escape(Parameters(trial)),
                Markup.Escape(trial.Status),
                $"{trial.Steps}/{trial.PlannedSteps}",
                trial.LastRung is { } rung ? (rung + 1).ToString(CultureInfo.InvariantCulture) : "-",
                trial.Metric is { } metric ? metric.ToString("F4", CultureInfo.InvariantCulture) : "-");
        }

        return table;
    }

    public static void Summary(TextWriter output, SweepStatusView status, TimeSpan wall)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(status);
        SweepRecord sweep = status.Sweep;
        string counts = string.Join(", ", sweep.Trials.GroupBy(trial => trial.Status).OrderBy(group => group.Key, StringComparer.Ordinal).Select(group => $"{group.Count()} {group.Key.ToLowerInvariant()}"));
        output.WriteLine($"Sweep {sweep.SweepId} {sweep.Status.ToLowerInvariant()} ({status.RuntimeStatus}): {sweep.Trials.Count} trials ({counts}), {sweep.StepsDone} optimizer steps, {wall.TotalSeconds:F1} s.");
        foreach (SweepTrialView trial in sweep.Trials.Where(trial => trial.Status == "Stopped" && trial.Reason is not null))
        {
            output.WriteLine($"  trial {trial.Index}: {trial.Reason}");
        }

        output.WriteLine(status.Best is { } best
            ? $"Best: trial {best.Index} (run {best.RunId}), validation {sweep.Metric} {best.Metric?.ToString("F4", CultureInfo.InvariantCulture)}{(best.Test is { } test ? $", test {test.ToString("F4", CultureInfo.InvariantCulture)}" : string.Empty)}, with {Parameters(best)}. Its model: dtrain export {best.RunId}."
            : "No trial reported a metric.");
    }

    /// <summary>The last line of <c>dtrain sweep --json</c>.</summary>
    public static string JsonLine(SweepStatusView status, TimeSpan wall)
    {
        ArgumentNullException.ThrowIfNull(status);
        SweepRecord sweep = status.Sweep;
        var trials = new JsonArray([.. sweep.Trials.Select(TrialJson)]);
        var line = new JsonObject
        {
            ["sweepId"] = sweep.SweepId,
            ["status"] = sweep.Status,
            ["runtimeStatus"] = status.RuntimeStatus.ToString(),
            ["metric"] = sweep.Metric,
            ["mode"] = sweep.Mode,
            ["steps"] = sweep.StepsDone,
            ["rungs"] = new JsonArray([.. sweep.Rungs.Select(rung => (JsonNode?)rung)]),
            ["trials"] = trials,
            ["best"] = status.Best is { } best ? TrialJson(best) : null,
            ["wallSeconds"] = Math.Round(wall.TotalSeconds, 1),
        };
        return line.ToJsonString();
    }

    private static JsonNode TrialJson(SweepTrialView trial) => new JsonObject
    {
        ["index"] = trial.Index,
        ["runId"] = trial.RunId.Value,
        ["parameters"] = JsonNode.Parse(JsonSerializer.Serialize(trial.Parameters)),
        ["status"] = trial.Status,
        ["steps"] = trial.Steps,
        ["lastRung"] = trial.LastRung,
        ["metric"] = trial.Metric,
        ["test"] = trial.Test,
        ["reason"] = trial.Reason,
    };

    private static string Short(string path) => path.Contains('.', StringComparison.Ordinal) ? path[(path.LastIndexOf('.') + 1)..] : path;
}
