using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Cli.Watching;

/// <summary>
/// The machine-readable end of <c>--json</c>: one JSON object on the last line of standard output with the run id,
/// its status and outcome, the final and best evaluations, the checkpoints and the wall time (and, for a run this
/// command submitted, how much of it the submission request took), so that scripts read one line instead of parsing
/// the report.
/// </summary>
public static class RunResultLine
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string For(RunSnapshot final, TimeSpan wall, string? exportedTo = null, TimeSpan? submission = null)
    {
        ArgumentNullException.ThrowIfNull(final);
        TrainingOutcome? outcome = final.Outcome;
        return JsonSerializer.Serialize(new
        {
            runId = final.RunId,
            status = final.RuntimeStatus.ToString(),
            outcome = outcome?.Status.ToString(),
            stopReason = outcome?.StopReason,
            failure = outcome?.FailureReason ?? final.FailureText,
            steps = outcome?.StepsDone ?? final.Progress?.Step,
            test = EvaluationText.Json(outcome?.TestEvaluation),
            bestTest = EvaluationText.Json(outcome?.BestTestEvaluation),
            validation = EvaluationText.Json(outcome?.FinalEvaluation ?? final.Progress?.LastEvaluation),
            bestValidation = EvaluationText.Json(outcome?.BestEvaluation ?? final.Progress?.BestEvaluation),
            monitoredMetric = outcome?.MonitoredMetric,
            finalCheckpoint = outcome?.FinalCheckpoint,
            bestCheckpoint = outcome?.BestCheckpoint,
            wallSeconds = Math.Round(wall.TotalSeconds, 3),
            submissionSeconds = submission is { } submitted ? Math.Round(submitted.TotalSeconds, 3) : (double?)null,
            exportedTo,
        }, Json);
    }

}
