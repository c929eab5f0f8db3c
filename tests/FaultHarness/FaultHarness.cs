using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.Storage;

namespace DurableTrainer.FaultHarness;

public sealed record FaultHarnessOptions(int Kills, int Outages, TimeSpan OutageLength, long MaxSteps, int StepsPerChunk, int Seed, string WorkDirectory);

public sealed record FaultReport(
    int KillsSurvived,
    IReadOnlyList<double> RecoverySeconds,
    int OutagesSurvived,
    IReadOnlyList<double> OutageRecoverySeconds,
    string ReferenceHash,
    string ChaosHash,
    int CheckpointsVerified,
    string ChaosStatus,
    double WallSeconds)
{
    public bool WeightsIdentical => ReferenceHash == ChaosHash;
}

/// <summary>One calm run and one through a misbehaving storage, in the order given: times, raw journal lines, weights.</summary>
public sealed record StorageFaultPair(
    bool FaultyFirst,
    double CalmSeconds,
    double FaultySeconds,
    int CalmJournalLines,
    int FaultyJournalLines,
    bool JournalRecordsMatch,
    bool WeightsIdentical,
    string FaultyStatus,
    IReadOnlyDictionary<StorageFault, int> Faults,
    long Requests,
    long HiddenMessages)
{
    public double Slowdown => FaultySeconds / CalmSeconds;
}

/// <summary>What runs through a misbehaving storage showed, pair by pair, and the checkpoints left that verify.</summary>
public sealed record StorageFaultReport(StorageFaultRates Rates, IReadOnlyList<StorageFaultPair> Pairs, int CheckpointsVerified)
{
    /// <summary>The workers' periodic storage-fault warnings (<c>StorageFaultReporter</c>), every line of every worker's log.</summary>
    public IReadOnlyList<string> FaultLogLines { get; init; } = [];

    /// <summary>How long the workers ran, from the first start to the report.</summary>
    public double WorkerSeconds { get; init; }

    public bool AllIdentical => Pairs.All(pair => pair.WeightsIdentical && pair.FaultyStatus == "Completed" && pair.JournalRecordsMatch);
}

/// <summary>What a sweep under faults showed: the decisions of both sweeps, and whether the best trials' weights match.</summary>
public sealed record SweepFaultReport(
    int KillsSurvived,
    IReadOnlyList<string> ReferenceDecisions,
    IReadOnlyList<string> ChaosDecisions,
    int? ReferenceBest,
    int? ChaosBest,
    string ReferenceBestHash,
    string ChaosBestHash,
    string ChaosStatus,
    double WallSeconds)
{
    public bool DecisionsIdentical => ReferenceDecisions.SequenceEqual(ChaosDecisions);

    public bool BestIdentical => ReferenceBest == ChaosBest && ReferenceBestHash == ChaosBestHash;
}

/// <summary>
/// Trains the same deterministic run twice on two worker processes sharing one task hub: once undisturbed, once
/// while workers are SIGKILLed at random moments (mid-chunk, mid-merge, mid-checkpoint write) and restarted, and
/// Azurite is stopped and restarted on the same data folder. Then it compares the final weights bit for bit,
/// verifies every checkpoint blob that remains, and reports how long training took to resume after each fault.
/// </summary>
public sealed partial class FaultHarness(FaultHarnessOptions options, TextWriter log)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);

    private readonly Random _random = new(options.Seed);
    private readonly string _root = RepositoryLayout.FindRoot();
    private readonly string _hub = "faults" + Guid.NewGuid().ToString("N")[..8];
    // Azurite restarts on the same ports after an outage: ports from the ephemeral range could be taken meanwhile.
    private readonly int[] _ports = ChildProcess.PortsBelowTheEphemeralRange(3);
    private readonly WorkerServer?[] _workers = new WorkerServer?[2];
    private AzuriteServer? _azurite;
    private StorageFaultProxy? _proxy;
    private int _restarts;

    private static readonly Dictionary<string, string> WorkerSettings = new()
    {
        ["Training__Threads"] = "1",
        ["DurableTask__MaxConcurrentActivities"] = "1",
        ["DurableTask__WorkItemVisibilityTimeout"] = "00:00:10",
        ["DurableTask__LeaseInterval"] = "00:00:15",
    };

    public async Task<FaultReport> RunAsync()
    {
        var wall = Stopwatch.StartNew();
        Directory.CreateDirectory(options.WorkDirectory);
        try
        {
            await StartAzuriteAsync();
            _workers[0] = await StartWorkerAsync();
            _workers[1] = await StartWorkerAsync();

            string referenceId = "reference-" + _hub;
            await SubmitAsync(referenceId);
            JsonElement reference = await WaitForEndAsync(referenceId);
            log.WriteLine($"Reference run ended: {reference.GetProperty("runtimeStatus")}.");

            string chaosId = "chaos-" + _hub;
            await SubmitAsync(chaosId);
            var recoveries = new List<double>();
            var outageRecoveries = new List<double>();
            int faults = options.Kills + options.Outages;
            for (int fault = 0; fault < faults; fault++)
            {
                long step = await WaitForProgressAsync(chaosId, after: -1);
                if (step < 0)
                {
                    break;
                }

                // A random moment inside the next stretch of work: mid-chunk, mid-merge or mid-write.
                await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(200, 2500)));
                bool outage = fault >= options.Kills;
                long before = await CurrentStepAsync(chaosId);
                var clock = Stopwatch.StartNew();
                if (outage)
                {
                    log.WriteLine($"Stopping Azurite at step {before} for {options.OutageLength.TotalSeconds:F0} s.");
                    await _azurite!.Process!.TerminateAsync(TimeSpan.FromSeconds(10), AzuriteServer.ClosedMessages);
                    await Task.Delay(options.OutageLength);
                    await StartAzuriteAsync();
                }
                else
                {
                    int victim = _random.Next(_workers.Length);
                    log.WriteLine($"SIGKILL worker {victim} at step {before}.");
                    _workers[victim]!.Process.Kill();
                    await _workers[victim]!.DisposeAsync();
                    _workers[victim] = await StartWorkerAsync();
                }

                long resumed = await WaitForProgressAsync(chaosId, after: before);
                if (resumed < 0)
                {
                    // The run ended before a poll saw it move: its last chunks, or after its last step its final
                    // evaluations and records, can take less time than the storage took to answer polls again. A run
                    // that completes after the fault came through it.
                    JsonElement end = await WaitForEndAsync(chaosId);
                    if (end.GetProperty("runtimeStatus").GetString() != "Completed")
                    {
                        log.WriteLine($"The run ended {end.GetProperty("runtimeStatus").GetString()} after the fault.");
                        continue;
                    }

                    resumed = options.MaxSteps;
                }

                (outage ? outageRecoveries : recoveries).Add(clock.Elapsed.TotalSeconds);
                log.WriteLine($"Training resumed (step {resumed}) {clock.Elapsed.TotalSeconds:F1} s after the fault.");
            }

            JsonElement chaos = await WaitForEndAsync(chaosId);
            string referenceHash = await FinalCheckpointHashAsync(reference);
            string chaosHash = await FinalCheckpointHashAsync(chaos);
            int verified = await VerifyCheckpointsAsync(referenceId) + await VerifyCheckpointsAsync(chaosId);
            return new FaultReport(
                recoveries.Count, recoveries, outageRecoveries.Count, outageRecoveries, referenceHash, chaosHash, verified,
                chaos.GetProperty("output").GetProperty("status").GetString()!, wall.Elapsed.TotalSeconds);
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    /// <summary>
    /// The same deterministic run (2 replicas) trained in pairs, once through a calm storage and once through one that
    /// misbehaves at <paramref name="rates"/> (a <see cref="StorageFaultProxy"/> between both workers and Azurite), in
    /// alternating order. Each pair's final weights are compared bit for bit, and the journal blobs line for line as
    /// stored (read from Azurite directly), so a duplicated or lost append shows; every checkpoint left is verified.
    /// </summary>
    public async Task<StorageFaultReport> RunStorageFaultsAsync(StorageFaultRates rates, int pairs)
    {
        ArgumentNullException.ThrowIfNull(rates);
        Directory.CreateDirectory(options.WorkDirectory);
        try
        {
            await StartAzuriteAsync();
            _proxy = await StorageFaultProxy.StartAsync([_ports[0], _ports[1], _ports[2]], options.Seed);
            var workers = Stopwatch.StartNew();
            _workers[0] = await StartWorkerAsync(StorageFaultWorkerSettings);
            _workers[1] = await StartWorkerAsync(StorageFaultWorkerSettings);
            var results = new List<StorageFaultPair>();
            var runs = new List<string>();
            for (int pair = 1; pair <= pairs; pair++)
            {
                bool faultyFirst = pair % 2 == 0;
                var measured = new Dictionary<bool, Measured>();
                var ids = new Dictionary<bool, string>();
                foreach (bool faulty in faultyFirst ? new[] { true, false } : [false, true])
                {
                    string runId = $"{(faulty ? "faulty" : "calm")}-{pair}-{_hub}";
                    measured[faulty] = await MeasureAsync(faulty ? rates : StorageFaultRates.None, async () =>
                    {
                        await SubmitAsync(runId);
                        return await WaitForEndAsync(runId);
                    });
                    ids[faulty] = runId;
                    runs.Add(runId);
                    log.WriteLine($"Pair {pair}: the {(faulty ? "faulty" : "calm")} run took {measured[faulty].Seconds:F1} s.");
                }

                IReadOnlyList<string> calmJournal = await JournalAsync(ids[false]);
                IReadOnlyList<string> faultyJournal = await JournalAsync(ids[true]);
                results.Add(new StorageFaultPair(
                    faultyFirst,
                    measured[false].Seconds,
                    measured[true].Seconds,
                    calmJournal.Count,
                    faultyJournal.Count,
                    calmJournal.Order(StringComparer.Ordinal).SequenceEqual(faultyJournal.Order(StringComparer.Ordinal)),
                    await FinalCheckpointHashAsync(measured[false].End) == await FinalCheckpointHashAsync(measured[true].End),
                    measured[true].End.GetProperty("output").GetProperty("status").GetString()!,
                    measured[true].Faults,
                    measured[true].Requests,
                    measured[true].HiddenMessages));
            }

            await File.WriteAllLinesAsync(Path.Combine(options.WorkDirectory, "injected-faults.log"), _proxy.Injected);
            int verified = 0;
            foreach (string runId in runs)
            {
                verified += await VerifyCheckpointsAsync(runId);
            }

            // Stopped as a service manager stops them, the workers log what they counted since their last report: the
            // faulty run may have ended inside a report interval.
            await Task.WhenAll(_workers.Where(worker => worker is not null).Select(worker => worker!.Process.TerminateAsync(TimeSpan.FromSeconds(30))));
            return new StorageFaultReport(rates, results, verified)
            {
                FaultLogLines = [.. Directory.GetFiles(options.WorkDirectory, "worker-*.log").SelectMany(File.ReadLines).Where(line => line.Contains("Storage faults in the last", StringComparison.Ordinal))],
                WorkerSeconds = workers.Elapsed.TotalSeconds,
            };
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    /// <summary>How often the workers of a storage-fault run log the faults they retried (declared before the settings that use it).</summary>
    public static readonly TimeSpan FaultLogInterval = TimeSpan.FromSeconds(10);

    // As a new user would run two workers: one thread and one activity each, 15 s work-item visibility and leases.
    private static readonly Dictionary<string, string> StorageFaultWorkerSettings = new()
    {
        ["Training__Threads"] = "1",
        ["DurableTask__MaxConcurrentActivities"] = "1",
        ["DurableTask__WorkItemVisibilityTimeout"] = "00:00:15",
        ["DurableTask__LeaseInterval"] = "00:00:15",
        ["DurableTask__StorageFaultLogInterval"] = FaultLogInterval.ToString(),
    };

    /// <summary>
    /// The identity of each line of the run's journal blob as stored, duplicates included (read from Azurite, not
    /// through the proxy): two runs that journaled the same facts once each have the same identities.
    /// </summary>
    private async Task<IReadOnlyList<string>> JournalAsync(string runId)
    {
        BlobClient blob = new BlobServiceClient(_azurite!.ConnectionString).GetBlobContainerClient(BlobTrainingJournal.DefaultContainerName).GetBlobClient(BlobTrainingJournal.BlobName(RunId.Parse(runId)));
        string text = (await blob.DownloadContentAsync()).Value.Content.ToString();
        return [.. TrainingJournalFormat.Lines(text).Select(line => line.Record.Identity.ToString())];
    }

    public static string Describe(StorageFaultReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine("| pair | order | calm (s) | faulty (s) | faulty / calm | journal lines, calm / faulty | same records | final weights identical | faulty run ended as | requests through the proxy | faults injected | queue messages hidden by a lost dequeue answer |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        int index = 0;
        foreach (StorageFaultPair pair in report.Pairs)
        {
            string faults = string.Join(", ", pair.Faults.Where(fault => fault.Value > 0).Select(fault => $"{fault.Key} {fault.Value}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {++index} | {(pair.FaultyFirst ? "faulty, then calm" : "calm, then faulty")} | {pair.CalmSeconds:F1} | {pair.FaultySeconds:F1} | {pair.Slowdown:F2} | {pair.CalmJournalLines} / {pair.FaultyJournalLines} | {(pair.JournalRecordsMatch ? "yes" : "NO")} | {(pair.WeightsIdentical ? "yes" : "NO")} | {pair.FaultyStatus} | {pair.Requests} | {faults} | {pair.HiddenMessages} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Checkpoint blobs left, all verified against their hashes: {report.CheckpointsVerified}.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"The two workers logged the faults they retried in {report.FaultLogLines.Count} lines over {report.WorkerSeconds:F0} s (one every {FaultLogInterval.TotalSeconds:F0} s at most, each with counts), for {report.Pairs.Sum(pair => pair.Faults.Values.Sum())} faults injected into the faulty runs; the last:");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"    {(report.FaultLogLines.Count > 0 ? report.FaultLogLines[^1].Trim() : "(none)")}");
        return text.ToString();
    }

    /// <summary>
    /// The same ASHA sweep of deterministic trials twice: once undisturbed, once while workers are SIGKILLed at
    /// random moments and restarted. Compares every trial's end (status, steps, last rung, reason), the best trial
    /// and its final weights bit for bit.
    /// </summary>
    public async Task<SweepFaultReport> RunSweepAsync(int trials)
    {
        var wall = Stopwatch.StartNew();
        Directory.CreateDirectory(options.WorkDirectory);
        try
        {
            await StartAzuriteAsync();
            _workers[0] = await StartWorkerAsync();
            _workers[1] = await StartWorkerAsync();

            string referenceId = "reference-" + _hub;
            await SubmitSweepAsync(referenceId, trials);
            JsonElement reference = await WaitForSweepEndAsync(referenceId);
            log.WriteLine($"Reference sweep ended: {reference.GetProperty("runtimeStatus")}.");

            string chaosId = "chaos-" + _hub;
            await SubmitSweepAsync(chaosId, trials);
            // Kills land at shares of the work, not at times: kill k when the trials have done k/(kills+1) of the
            // reference sweep's steps, so work is always left, however fast the machine. A kill counts once the trials
            // have gone on past where they were when it struck.
            long total = reference.GetProperty("sweep").GetProperty("trials").EnumerateArray().Sum(trial => trial.GetProperty("steps").GetInt64());
            int kills = 0;
            for (int kill = 1; kill <= options.Kills; kill++)
            {
                long before = await WaitForSweepStepsAsync(chaosId, total * kill / (options.Kills + 1));
                if (before < 0)
                {
                    log.WriteLine("The sweep ended before every kill was made.");
                    break;
                }

                int victim = _random.Next(_workers.Length);
                log.WriteLine($"SIGKILL worker {victim} during the sweep, its trials at {before} of {total} steps.");
                _workers[victim]!.Process.Kill();
                await _workers[victim]!.DisposeAsync();
                _workers[victim] = await StartWorkerAsync();
                if (await WaitForSweepStepsAsync(chaosId, before + 1) > before)
                {
                    kills++;
                }
            }

            JsonElement chaos = await WaitForSweepEndAsync(chaosId);
            (IReadOnlyList<string> referenceDecisions, int? referenceBest) = Decisions(reference);
            (IReadOnlyList<string> chaosDecisions, int? chaosBest) = Decisions(chaos);
            return new SweepFaultReport(
                kills, referenceDecisions, chaosDecisions, referenceBest, chaosBest,
                await BestHashAsync(reference), await BestHashAsync(chaos),
                chaos.GetProperty("sweep").GetProperty("status").GetString()!, wall.Elapsed.TotalSeconds);
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    public static string Describe(SweepFaultReport report, FaultHarnessOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| worker kills during the sweep (SIGKILL, then restart) | {report.KillsSurvived} of {options.Kills} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| chaos sweep ended as | {report.ChaosStatus} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| every trial's end (status, steps, last rung, reason) identical to the undisturbed sweep | {(report.DecisionsIdentical ? "yes" : "NO")} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| best trial | {report.ChaosBest} (undisturbed: {report.ReferenceBest}) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| best trial's final weights identical (SHA-256 of its final checkpoint) | {(report.BestIdentical ? "yes" : "NO")} ({report.ChaosBestHash[..Math.Min(16, report.ChaosBestHash.Length)]}...) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| trials' ends | {string.Join("; ", report.ChaosDecisions)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| wall time | {report.WallSeconds:F0} s |");
        return text.ToString();
    }

    private async Task SubmitSweepAsync(string sweepId, int trials)
    {
        string rates = string.Join(", ", Enumerable.Range(0, trials).Select(index => (0.0003 * Math.Pow(3, index)).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        string body = $$$"""
            {"sweepId":"{{{sweepId}}}","base":{"data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":{{{options.MaxSteps}}},"seed":{{{options.Seed}}}},"evaluation":{"intervalSteps":100000},"execution":{"stepsPerChunk":{{{options.StepsPerChunk}}},"activityMaxAttempts":8,"activityFirstRetrySeconds":1}},
             "space":{"optimizer.learningRate":[{{{rates}}}]},
             "scheduler":{"kind":"asha","graceSteps":{{{options.StepsPerChunk}}},"reductionFactor":2},"maxConcurrent":2}
            """;
        using HttpClient http = Client();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/api/sweeps", UriKind.Relative), content);
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"Could not start sweep {sweepId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private Task<JsonElement?> SweepAsync(string sweepId) => GetAsync($"/api/sweeps/{sweepId}");

    /// <summary>
    /// Until the sweep's trial runs have done at least <paramref name="atLeast"/> steps in all, read from each run's
    /// own status (the sweep's document counts steps only at rungs); the total then, or -1 when the sweep ended first.
    /// </summary>
    private async Task<long> WaitForSweepStepsAsync(string sweepId, long atLeast)
    {
        for (DateTime deadline = DateTime.UtcNow + RunTimeout; DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            if (await SweepAsync(sweepId) is not { } sweep)
            {
                continue;
            }

            long steps = 0;
            bool all = true;
            foreach (JsonElement trial in sweep.GetProperty("sweep").GetProperty("trials").EnumerateArray())
            {
                if (await GetAsync($"/api/training/{trial.GetProperty("runId").GetString()}") is { } run && run.GetProperty("step") is { ValueKind: JsonValueKind.Number } step)
                {
                    steps += step.GetInt64();
                }
                else if (trial.GetProperty("status").GetString() is not ("Pending" or "NotStarted"))
                {
                    all = false;
                }
            }

            if (all && steps >= atLeast)
            {
                return steps;
            }

            if (sweep.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return -1;
            }
        }

        throw new TimeoutException($"The trials of sweep {sweepId} did not reach {atLeast} steps within {RunTimeout}.");
    }

    private Task<JsonElement> WaitForSweepEndAsync(string sweepId) => WaitForEndedAsync($"/api/sweeps/{sweepId}", $"Sweep {sweepId}", TimeSpan.FromMilliseconds(500));

    private static (IReadOnlyList<string> Decisions, int? Best) Decisions(JsonElement sweep)
    {
        JsonElement document = sweep.GetProperty("sweep");
        string[] decisions = [.. document.GetProperty("trials").EnumerateArray().Select(trial =>
            $"{trial.GetProperty("index")}:{trial.GetProperty("status").GetString()}@{trial.GetProperty("steps")}" +
            $" rung {trial.GetProperty("lastRung")} {trial.GetProperty("reason")}")];
        int? best = document.GetProperty("bestTrial").ValueKind == JsonValueKind.Number ? document.GetProperty("bestTrial").GetInt32() : null;
        return (decisions, best);
    }

    private async Task<string> BestHashAsync(JsonElement sweep)
    {
        if (sweep.GetProperty("best").ValueKind != JsonValueKind.Object)
        {
            return "none";
        }

        string runId = sweep.GetProperty("best").GetProperty("runId").GetString()!;
        JsonElement run = await WaitForEndAsync(runId);
        return await FinalCheckpointHashAsync(run);
    }

    public static string Describe(FaultReport report, FaultHarnessOptions options)
    {
        static string Stats(IReadOnlyList<double> values) =>
            values.Count == 0 ? "none" : $"max {values.Max():F1} s, mean {values.Average():F1} s ({string.Join(", ", values.Select(v => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))})";

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| worker kills survived (SIGKILL, then restart) | {report.KillsSurvived} of {options.Kills} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| time from a kill to training resuming | {Stats(report.RecoverySeconds)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| Azurite outages survived ({options.OutageLength.TotalSeconds:F0} s each) | {report.OutagesSurvived} of {options.Outages} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| time from an outage's start to training resuming | {Stats(report.OutageRecoverySeconds)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| chaos run ended as | {report.ChaosStatus} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| final weights identical to the undisturbed run (SHA-256 of the final checkpoint) | {(report.WeightsIdentical ? "yes" : "NO")} ({report.ChaosHash[..16]}...) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| checkpoint blobs left, all verified against their hashes | {report.CheckpointsVerified} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| wall time | {report.WallSeconds:F0} s |");
        return text.ToString();
    }

    private async Task StopEverythingAsync()
    {
        foreach (WorkerServer? worker in _workers)
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }
        }

        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    private async Task StartAzuriteAsync() =>
        _azurite = await AzuriteServer.StartAsync(_root, Path.Combine(options.WorkDirectory, "azurite"), Path.Combine(options.WorkDirectory, "azurite.log"), _ports[0], _ports[1], _ports[2]);

    private Task<WorkerServer> StartWorkerAsync(IReadOnlyDictionary<string, string>? settings = null) =>
        WorkerServer.StartAsync(_root, _proxy?.ConnectionString ?? _azurite!.ConnectionString, _hub, Path.Combine(options.WorkDirectory, $"worker-{++_restarts}.log"), settings ?? WorkerSettings);

    private async Task SubmitAsync(string runId)
    {
        string body = $$"""
            {"runId":"{{runId}}","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":{{options.MaxSteps}},"seed":{{options.Seed}}},"evaluation":{"intervalSteps":100000},"replicas":{"count":2},"execution":{"stepsPerChunk":{{options.StepsPerChunk}},"activityMaxAttempts":8,"activityFirstRetrySeconds":1} }
            """;
        using HttpClient http = Client();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/api/training", UriKind.Relative), content);
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"Could not start {runId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private HttpClient Client()
    {
        WorkerServer worker = _workers.First(w => w is not null && !w.Process.HasExited)!;
        return new HttpClient { BaseAddress = worker.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    private Task<JsonElement?> StatusAsync(string runId) => GetAsync($"/runtime/webhooks/durabletask/instances/{runId}");

    /// <summary>A GET on a live worker; null when storage or the worker is down and there is no answer this time.</summary>
    private async Task<JsonElement?> GetAsync(string path)
    {
        try
        {
            using HttpClient http = Client();
            return await http.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="path"/> until its orchestration has ended (Completed, Failed or Terminated).</summary>
    private async Task<JsonElement> WaitForEndedAsync(string path, string what, TimeSpan poll)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await GetAsync(path) is { } status && status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return status;
            }

            await Task.Delay(poll);
        }

        throw new TimeoutException($"{what} did not end within {RunTimeout}.");
    }

    private async Task<long> CurrentStepAsync(string runId) =>
        await StatusAsync(runId) is { } status && status.GetProperty("customStatus").ValueKind == JsonValueKind.Object
            ? status.GetProperty("customStatus").GetProperty("step").GetInt64()
            : -1;

    /// <summary>Waits until the run's step is past <paramref name="after"/>; -1 when the run ended first.</summary>
    private async Task<long> WaitForProgressAsync(string runId, long after)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await StatusAsync(runId) is { } status)
            {
                if (status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated")
                {
                    return -1;
                }

                if (status.GetProperty("customStatus").ValueKind == JsonValueKind.Object && status.GetProperty("customStatus").GetProperty("step").GetInt64() > after)
                {
                    return status.GetProperty("customStatus").GetProperty("step").GetInt64();
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId} made no progress past step {after} within {RunTimeout}.");
    }

    private Task<JsonElement> WaitForEndAsync(string runId) =>
        WaitForEndedAsync($"/runtime/webhooks/durabletask/instances/{runId}", $"Run {runId}", TimeSpan.FromMilliseconds(250));

    private BlobContainerClient Checkpoints => new BlobServiceClient(_azurite!.ConnectionString).GetBlobContainerClient("checkpoints");

    private async Task<string> FinalCheckpointHashAsync(JsonElement status)
    {
        string final = status.GetProperty("output").GetProperty("finalCheckpoint").GetString()
            ?? throw new InvalidOperationException("The run has no final checkpoint.");
        string[] parts = final.Split('/', 2);
        byte[] content = await new BlobCheckpointStore(Checkpoints).LoadAsync(new CheckpointReference(RunId.Parse(parts[0]), parts[1]));
        return Convert.ToHexString(SHA256.HashData(content));
    }

    /// <summary>Loads every checkpoint left for the run through the store, which checks each blob's SHA-256.</summary>
    private async Task<int> VerifyCheckpointsAsync(string runId)
    {
        var store = new BlobCheckpointStore(Checkpoints);
        int verified = 0;
        await foreach (BlobItem item in Checkpoints.GetBlobsAsync(BlobTraits.None, BlobStates.None, runId + "/", CancellationToken.None))
        {
            string name = item.Name[(runId.Length + 1)..^".ckpt".Length];
            await store.LoadAsync(new CheckpointReference(RunId.Parse(runId), name));
            verified++;
        }

        return verified;
    }
}
