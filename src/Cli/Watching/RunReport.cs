using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Cli.Watching;

/// <summary>How a run ended, in the lines <c>dtrain train</c> has always printed: status, final accuracy, throughput, checkpoint.</summary>
public static class RunReport
{
    /// <param name="checkpointLocation">Turns a checkpoint name into where it is (a blob URL for the local stack).</param>
    public static void Write(TextWriter output, RunSnapshot run, TimeSpan wall, string wallLabel, Func<string, string>? checkpointLocation = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(run);
        TrainingOutcome? outcome = run.Outcome;
        if (outcome is null)
        {
            string reason = run.FailureText is { Length: > 0 } text ? ": " + Shorten(text) : " without an outcome";
            output.WriteLine($"Run {run.RunId}: {run.RuntimeStatus}{reason}");
            return;
        }

        output.WriteLine($"Run {outcome.RunId}: {outcome.Status}{(outcome.StopReason is null ? string.Empty : $" ({outcome.StopReason})")} in {wall.TotalSeconds:F1} s {wallLabel}.");
        if (outcome.FailureReason is not null)
        {
            output.WriteLine($"Failure: {outcome.FailureReason}");
        }

        if (outcome.TestEvaluation is { } test)
        {
            output.WriteLine($"Test: {EvaluationText.All(test)} (final checkpoint, {outcome.StepsDone} steps).");
        }

        if (outcome.BestTestEvaluation is { } bestTest)
        {
            output.WriteLine($"Test: {EvaluationText.All(bestTest)} (best checkpoint by validation {outcome.MonitoredMetric ?? "metric"}, step {bestTest.Step}).");
        }

        if (outcome.TestFailure is { } testFailure)
        {
            output.WriteLine($"Test: not measured: {Shorten(testFailure)}");
        }

        if (outcome.FinalEvaluation is { } validation)
        {
            output.WriteLine($"Validation: {EvaluationText.All(validation)} at step {validation.Step}.");
        }

        if (outcome.TrainingSeconds > 0)
        {
            output.WriteLine($"Training throughput: {outcome.SamplesSeen / outcome.TrainingSeconds:F0} samples/s ({outcome.SamplesSeen} samples in {outcome.TrainingSeconds:F1} s of chunk time).");
        }

        if (outcome.FinalCheckpoint is not null)
        {
            output.WriteLine($"Final checkpoint: {checkpointLocation?.Invoke(outcome.FinalCheckpoint) ?? outcome.FinalCheckpoint}");
        }
    }

    private static string Shorten(string text)
    {
        string single = text.ReplaceLineEndings(" ").Trim();
        return single.Length > 400 ? single[..400] + "..." : single;
    }
}
