using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.FaultHarness;

/// <summary>What a run in flight did when a worker of another build took it over.</summary>
public sealed record UpgradeScenario(string Build, long StepAtStop, string Status, string Detail, double SecondsToEnd, bool? WeightsIdentical, int CheckpointsVerified);

public sealed partial class FaultHarness
{
    /// <summary>How long a taken-over run may take to end before it counts as hung.</summary>
    private static readonly TimeSpan TakeOverPatience = TimeSpan.FromMinutes(TakeOverMinutes);

    public const int TakeOverMinutes = 5;

    /// <summary>
    /// For each changed build (name and repository root, built in Release): a run started on this repository's
    /// worker is stopped a third of the way (SIGTERM, as a deployment stops a worker) and a worker of the changed
    /// build takes over the task hub. Records how the run ended, how soon, and, when it completed, whether its final
    /// weights equal those of the same run undisturbed on this build.
    /// </summary>
    public async Task<IReadOnlyList<UpgradeScenario>> RunUpgradesAsync(IReadOnlyList<(string Name, string Root)> builds)
    {
        ArgumentNullException.ThrowIfNull(builds);
        Directory.CreateDirectory(options.WorkDirectory);
        try
        {
            await StartAzuriteAsync();
            _workers[0] = await StartWorkerAsync();
            string referenceId = "reference-" + _hub;
            await SubmitAsync(referenceId);
            string referenceHash = await FinalCheckpointHashAsync(await WaitForEndAsync(referenceId));
            log.WriteLine($"Reference run ended on this build: {referenceHash[..12]}.");

            var scenarios = new List<UpgradeScenario>();
            foreach ((string name, string root) in builds)
            {
                _workers[0] ??= await StartWorkerAsync();
                string runId = $"inflight-{name}-{_hub}";
                await SubmitAsync(runId);
                long step = await WaitForProgressAsync(runId, after: options.MaxSteps / 3);
                await _workers[0]!.Process.TerminateAsync(TimeSpan.FromSeconds(20));
                await _workers[0]!.DisposeAsync();
                _workers[0] = null;
                log.WriteLine($"Stopped this build's worker with {runId} at step {step}; starting the {name} build.");

                var clock = Stopwatch.StartNew();
                // In the second slot, where the harness's status queries find it.
                _workers[1] = await WorkerServer.StartAsync(root, _azurite!.ConnectionString, _hub, Path.Combine(options.WorkDirectory, $"worker-{name}.log"), WorkerSettings);
                try
                {
                    JsonElement? end = await WaitForEndWithinAsync(runId, TakeOverPatience);
                    string status = end?.GetProperty("runtimeStatus").GetString() ?? "did not end (hung)";
                    string detail = end is { } ended && status != "Completed" ? FailureMessage(ended.GetProperty("output")) : string.Empty;
                    bool? identical = status == "Completed" ? await FinalCheckpointHashAsync(end!.Value) == referenceHash : null;
                    scenarios.Add(new UpgradeScenario(name, step, status, detail, clock.Elapsed.TotalSeconds, identical, await VerifyCheckpointsAsync(runId)));
                    log.WriteLine($"{name}: {status} {clock.Elapsed.TotalSeconds:F1} s after the new worker started. {detail}");
                }
                finally
                {
                    await _workers[1]!.Process.TerminateAsync(TimeSpan.FromSeconds(20));
                    await _workers[1]!.DisposeAsync();
                    _workers[1] = null;
                }
            }

            return scenarios;
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    public static string Describe(IReadOnlyList<UpgradeScenario> scenarios)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        var text = new StringBuilder();
        text.AppendLine("| build taking over | stopped at step | run ended as | seconds after the new worker started | final weights as undisturbed | checkpoints left, verified | what the run says |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (UpgradeScenario scenario in scenarios)
        {
            string identical = scenario.WeightsIdentical switch { true => "identical", false => "DIFFERENT", null => "-" };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {scenario.Build} | {scenario.StepAtStop} | {scenario.Status} | {scenario.SecondsToEnd:F1} | {identical} | {scenario.CheckpointsVerified} | {scenario.Detail.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        return text.ToString();
    }

    /// <summary>A failed orchestration's message: its output is the failure ({"message", "details"}) or a plain text.</summary>
    private static string FailureMessage(JsonElement output) =>
        output.ValueKind == JsonValueKind.Object && output.TryGetProperty("message", out JsonElement message) ? message.GetString() ?? string.Empty : output.ToString();

    /// <summary>The run's status once it has ended, or null when it has not within <paramref name="patience"/>.</summary>
    private async Task<JsonElement?> WaitForEndWithinAsync(string runId, TimeSpan patience)
    {
        for (DateTime deadline = DateTime.UtcNow + patience; DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            if (await StatusAsync(runId) is { } status && status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return status;
            }
        }

        return null;
    }
}
