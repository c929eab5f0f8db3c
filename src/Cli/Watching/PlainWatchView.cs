using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Cli.Watching;

/// <summary>One line per change (step, phase, status, learning-rate scale), and each new suggestion once: for logs and pipes.</summary>
public sealed class PlainWatchView(TextWriter output) : IWatchView
{
    private string? _lastLine;
    private readonly HashSet<string> _suggestionsShown = new(StringComparer.Ordinal);

    public Task<RunSnapshot> ShowAsync(Func<Action<RunSnapshot>, Task<RunSnapshot>> poll)
    {
        ArgumentNullException.ThrowIfNull(poll);
        return poll(Show);
    }

    public void Show(RunSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string line = Describe(snapshot);
        if (line != _lastLine)
        {
            output.WriteLine(line);
            _lastLine = line;
        }

        foreach (string suggestion in snapshot.Suggestions)
        {
            if (_suggestionsShown.Add(suggestion))
            {
                output.WriteLine($"  suggestion: {suggestion}");
            }
        }
    }

    /// <summary>The progress line <c>dtrain train</c> has always printed, with the learning-rate scale when it is not 1 and the state when not running.</summary>
    public static string Describe(RunSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // A live state other than Running (Pending, Suspended) is worth a word; how a run ended is the report's job.
        string state = snapshot.IsRunning && snapshot.RuntimeStatus != InstanceRuntimeStatus.Running ? $" ({snapshot.RuntimeStatus})" : string.Empty;
        if (snapshot.Progress is not { } progress)
        {
            return $"[  0.0%] {snapshot.RuntimeStatus}";
        }

        double percent = progress.TotalSteps > 0 ? 100.0 * progress.Step / progress.TotalSteps : 0;
        string line = progress.TotalRounds == 0
            ? $"[{percent,5:F1}%] {progress.Phase,-12}" + (progress.TotalSteps > 0 ? $" step {progress.Step}/{progress.TotalSteps}" : string.Empty)
            : $"[{percent,5:F1}%] {progress.Phase,-12} round {progress.Round}/{progress.TotalRounds} step {progress.Step}/{progress.TotalSteps} epoch {progress.Epoch:F2}";
        if (progress.LastLoss is { } loss)
        {
            line += $" loss {loss:F4}";
        }

        if (progress.SamplesPerSecond is { } rate)
        {
            line += $" {rate:F0} samples/s";
        }

        if (progress.LastEvaluation is { } evaluation)
        {
            line += " val " + EvaluationText.Short(evaluation);
        }

        if (Math.Abs(progress.LearningRateScale - 1.0) > 1e-12)
        {
            line += $" lr x{progress.LearningRateScale:G4}";
        }

        if (progress.SecondsRemaining is { } eta && progress.Step < progress.TotalSteps && snapshot.IsRunning)
        {
            line += $" eta {eta:F0}s";
        }

        return line.TrimEnd() + state;
    }
}
