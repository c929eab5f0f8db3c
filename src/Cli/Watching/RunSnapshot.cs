using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Commands;
using DurableTrainer.Contracts;

namespace DurableTrainer.Cli.Watching;

/// <summary>
/// One look at a run, from whichever route answered: the status query (full progress, with the domain service's
/// suggestions) or, where that route is closed to the key, the summary (fewer fields).
/// </summary>
public sealed record RunSnapshot(
    string RunId,
    InstanceRuntimeStatus RuntimeStatus,
    TrainingProgress? Progress,
    TrainingOutcome? Outcome,
    string? FailureText,
    DateTime CreatedTime,
    DateTime LastUpdatedTime)
{
    public bool IsRunning => RuntimeStatus.IsRunning();

    public IReadOnlyList<string> Suggestions => Progress?.Suggestions ?? [];

    /// <summary>What this end of the run means as an exit code (see <see cref="ExitCodes"/>).</summary>
    public int ExitCode => RuntimeStatus switch
    {
        InstanceRuntimeStatus.Completed => Outcome?.Status switch
        {
            TrainingOutcomeStatus.Completed => ExitCodes.Success,
            TrainingOutcomeStatus.Stopped => ExitCodes.RunStopped,
            _ => ExitCodes.RunFailed,
        },
        InstanceRuntimeStatus.Terminated or InstanceRuntimeStatus.Canceled => ExitCodes.RunTerminated,
        _ => ExitCodes.RunFailed,
    };

    public static RunSnapshot From(InstanceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        TrainingOutcome? outcome = Read<TrainingOutcome>(status.Output);
        string? failure = outcome is null && status.Output is { } output && status.RuntimeStatus.EndedAbnormally()
            ? output.ValueKind == JsonValueKind.String ? output.GetString() : output.ToString()
            : null;
        return new RunSnapshot(status.InstanceId, status.RuntimeStatus, Read<TrainingProgress>(status.CustomStatus), outcome, failure, status.CreatedTime, status.LastUpdatedTime);
    }

    /// <summary>From the summary route: no suggestions, samples per second or learning-rate scale.</summary>
    public static RunSnapshot From(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        // Without a phase, the runtime status stands in for it when it names one (Completed, Failed); else there is no progress to show.
        TrainingProgress? progress = (summary.Phase is null && summary.Step is null) || !TryReadName(summary.Phase ?? summary.RuntimeStatus.ToString(), out TrainingPhase phase)
            ? null
            : new TrainingProgress
            {
                RunId = Domain.Training.RunId.Parse(summary.RunId),
                Phase = phase,
                Step = summary.Step ?? 0,
                TotalSteps = summary.TotalSteps ?? 0,
                LastLoss = summary.LastLoss,
                LastEvaluation = summary.LastEvaluation,
                BestEvaluation = summary.BestEvaluation,
            };
        TrainingOutcome? outcome = !TryReadName(summary.Outcome, out TrainingOutcomeStatus status)
            ? null
            : new TrainingOutcome
            {
                RunId = Domain.Training.RunId.Parse(summary.RunId),
                Status = status,
                StopReason = summary.StopReason,
                FailureReason = summary.FailureReason,
                StepsDone = summary.Step ?? 0,
                FinalCheckpoint = summary.FinalCheckpoint,
                BestCheckpoint = summary.BestCheckpoint,
                FinalEvaluation = summary.LastEvaluation,
                BestEvaluation = summary.BestEvaluation,
                TestEvaluation = summary.TestEvaluation,
                BestTestEvaluation = summary.BestTestEvaluation,
            };
        return new RunSnapshot(summary.RunId, summary.RuntimeStatus, progress, outcome, outcome is null ? summary.FailureReason : null, summary.CreatedTime, summary.LastUpdatedTime);
    }

    /// <summary>An enumeration member by its exact name, as the server writes it (numbers are not names).</summary>
    private static bool TryReadName<TEnum>(string? name, out TEnum value)
        where TEnum : struct, Enum =>
        Enum.TryParse(name, ignoreCase: false, out value) && Enum.IsDefined(value) && value.ToString() == name;

    private static T? Read<T>(JsonElement? element)
        where T : class
    {
        if (element is not { ValueKind: JsonValueKind.Object } value)
        {
            return null;
        }

        try
        {
            return value.Deserialize<T>(MessageJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
