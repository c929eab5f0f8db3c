using DurableTrainer.Application.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DurableTrainer.Cli.Watching;

/// <summary>A live panel on a terminal: a bar over total steps, loss, accuracy, learning-rate scale, samples/s, ETA, suggestions.</summary>
public sealed class LiveWatchView(IAnsiConsole console) : IWatchView
{
    private const int BarWidth = 40;

    public async Task<RunSnapshot> ShowAsync(Func<Action<RunSnapshot>, Task<RunSnapshot>> poll)
    {
        ArgumentNullException.ThrowIfNull(poll);
        RunSnapshot? last = null;
        await console.Live(new Text("Waiting for the run..."))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                last = await poll(snapshot =>
                {
                    context.UpdateTarget(Render(snapshot));
                    context.Refresh();
                });
            });
        return last!;
    }

    public static IRenderable Render(RunSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        TrainingProgress? progress = snapshot.Progress;
        var rows = new List<IRenderable>();
        string phase = progress?.Phase.ToString() ?? snapshot.RuntimeStatus.ToString();
        string state = snapshot.IsRunning && snapshot.RuntimeStatus != InstanceRuntimeStatus.Running ? $" [yellow]({Markup.Escape(snapshot.RuntimeStatus.ToString())})[/]" : string.Empty;
        string round = progress is { TotalRounds: > 0 } ? $"  round {progress.Round}/{progress.TotalRounds}  epoch {progress.Epoch:F2}" : string.Empty;
        rows.Add(new Markup($"[bold]{Markup.Escape(snapshot.RunId)}[/]  {Markup.Escape(phase)}{state}{round}"));

        double fraction = progress is { TotalSteps: > 0 } ? Math.Clamp((double)progress.Step / progress.TotalSteps, 0, 1) : 0;
        int filled = (int)Math.Round(fraction * BarWidth);
        string steps = progress is { TotalSteps: > 0 } ? $"  step {progress.Step}/{progress.TotalSteps}" : string.Empty;
        rows.Add(new Markup($"[green]{new string('━', filled)}[/][grey]{new string('━', BarWidth - filled)}[/] {100 * fraction,5:F1}%{steps}"));

        var metrics = new List<string>();
        if (progress?.LastLoss is { } loss)
        {
            metrics.Add($"loss {loss:F4}");
        }

        if (progress?.LastEvaluation is { } evaluation)
        {
            metrics.Add("val " + EvaluationText.Short(evaluation) + (progress.BestEvaluation is { } best ? $" (best {EvaluationText.Short(best)})" : string.Empty));
        }

        if (progress is not null)
        {
            metrics.Add($"lr x{progress.LearningRateScale:G4}");
        }

        if (progress?.SamplesPerSecond is { } rate)
        {
            metrics.Add($"{rate:F0} samples/s");
        }

        if (progress?.SecondsRemaining is { } eta && snapshot.IsRunning)
        {
            metrics.Add($"eta {FormatDuration(eta)}");
        }

        rows.Add(new Text(metrics.Count == 0 ? " " : string.Join("  ", metrics)));
        foreach (string suggestion in snapshot.Suggestions)
        {
            rows.Add(new Markup($"[yellow]suggestion:[/] {Markup.Escape(suggestion)}"));
        }

        return new Rows(rows);
    }

    /// <summary>38s, 1m 38s, 2h 05m.</summary>
    public static string FormatDuration(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes:D2}m"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m {span.Seconds:D2}s"
            : $"{span.Seconds}s";
    }
}
