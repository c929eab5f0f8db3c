using System.Text.Json.Nodes;

namespace DurableTrainer.Cli.Tests;

/// <summary>Status-query answers in the Durable Functions shape the worker sends, with the trainer's custom status.</summary>
internal static class Statuses
{
    public static string Pending(string runId) => Instance(runId, "Pending", null, null);

    public static string Running(string runId, long step, long total, double? loss = null, double? accuracy = null, double scale = 1.0, string[]? suggestions = null, string runtime = "Running") =>
        Instance(runId, runtime, Progress(runId, step, total, loss, accuracy, scale, suggestions), null);

    public static string Ended(string runId, string outcomeStatus, string? stopReason, long steps, double accuracy, string? failure = null) =>
        Instance(runId, "Completed", Progress(runId, steps, steps, 0.3, accuracy, 1.0, null), new JsonObject
        {
            ["runId"] = runId,
            ["status"] = outcomeStatus,
            ["stopReason"] = stopReason,
            ["failureReason"] = failure,
            ["stepsDone"] = steps,
            ["rounds"] = 4,
            ["samplesSeen"] = steps * 64,
            ["trainingSeconds"] = 2.0,
            ["finalCheckpoint"] = failure is null ? $"{runId}/round-000004/replica-00" : null,
            ["bestCheckpoint"] = null,
            ["finalEvaluation"] = failure is null ? new JsonObject { ["step"] = steps, ["loss"] = 0.31, ["accuracy"] = accuracy } : null,
            ["bestEvaluation"] = null,
            ["testEvaluation"] = failure is null ? new JsonObject { ["step"] = steps, ["loss"] = 0.33, ["accuracy"] = accuracy - 0.01 } : null,
        });

    public static string Terminated(string runId, string reason) => Instance(runId, "Terminated", Progress(runId, 10, 40, 1.0, null, 1.0, null), JsonValue.Create(reason));

    private static JsonObject Progress(string runId, long step, long total, double? loss, double? accuracy, double scale, string[]? suggestions) => new()
    {
        ["runId"] = runId,
        ["phase"] = step >= total ? "Completed" : "Training",
        ["round"] = step / 10,
        ["totalRounds"] = total / 10,
        ["step"] = step,
        ["totalSteps"] = total,
        ["epoch"] = step / 20.0,
        ["lastLoss"] = loss,
        ["samplesPerSecond"] = loss is null ? null : 1234.0,
        ["lastEvaluation"] = accuracy is null ? null : new JsonObject { ["step"] = step, ["loss"] = 0.5, ["accuracy"] = accuracy },
        ["bestEvaluation"] = accuracy is null ? null : new JsonObject { ["step"] = step, ["loss"] = 0.5, ["accuracy"] = accuracy },
        ["secondsRemaining"] = step >= total ? 0.0 : (total - step) * 0.5,
        ["suggestions"] = new JsonArray((suggestions ?? []).Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
        ["learningRateScale"] = scale,
        ["rollbacksUsed"] = 0,
        ["execution"] = 1,
    };

    private static string Instance(string runId, string runtime, JsonNode? custom, JsonNode? output) => new JsonObject
    {
        ["name"] = "Training",
        ["instanceId"] = runId,
        ["runtimeStatus"] = runtime,
        ["input"] = null,
        ["customStatus"] = custom,
        ["output"] = output,
        ["createdTime"] = "2026-11-28T22:00:00Z",
        ["lastUpdatedTime"] = "2026-11-28T22:00:12.5Z",
    }.ToJsonString();

    public static string Summary(string runId, string runtime, string? outcome = null, double? accuracy = null) => new JsonObject
    {
        ["runId"] = runId,
        ["runtimeStatus"] = runtime,
        ["phase"] = "Training",
        ["outcome"] = outcome,
        ["stopReason"] = outcome is null ? null : "PlanCompleted",
        ["failureReason"] = null,
        ["percentComplete"] = 50.0,
        ["step"] = 20,
        ["totalSteps"] = 40,
        ["lastLoss"] = 0.7,
        ["lastEvaluation"] = accuracy is null ? null : new JsonObject { ["step"] = 20, ["loss"] = 0.6, ["accuracy"] = accuracy },
        ["bestEvaluation"] = accuracy is null ? null : new JsonObject { ["step"] = 10, ["loss"] = 0.65, ["accuracy"] = accuracy - 0.01 },
        ["testEvaluation"] = accuracy is null || outcome is null ? null : new JsonObject { ["step"] = 20, ["loss"] = 0.62, ["accuracy"] = accuracy - 0.02 },
        ["finalCheckpoint"] = null,
        ["bestCheckpoint"] = null,
        ["createdTime"] = "2026-11-28T22:00:00Z",
        ["lastUpdatedTime"] = "2026-11-28T22:00:10Z",
    }.ToJsonString();
}
