using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DurableTrainer.FaultHarness;

/// <summary>
/// One kind of job done calm and through a misbehaving storage: how long each took, how the faulty one ended, whether
/// its outcome (a sweep's decisions and best weights, a prediction job's parts) is the calm one's, and what the proxy
/// injected meanwhile.
/// </summary>
public sealed record StorageFaultJob(
    string Kind,
    bool FaultyFirst,
    double CalmSeconds,
    double FaultySeconds,
    string FaultyStatus,
    bool OutcomeIdentical,
    string Outcome,
    IReadOnlyDictionary<StorageFault, int> Faults,
    long Requests,
    long HiddenMessages);

/// <summary>A sweep and a batch prediction job through a misbehaving storage, and the checkpoints they left that verify.</summary>
public sealed record StorageFaultJobsReport(StorageFaultRates Rates, StorageFaultJob Sweep, StorageFaultJob Prediction, int CheckpointsVerified)
{
    public bool AllIdentical => new[] { Sweep, Prediction }.All(job => job.OutcomeIdentical && job.FaultyStatus == "Completed");
}

public sealed partial class FaultHarness
{
    private const int RowsPerShard = 500;

    /// <summary>
    /// An ASHA sweep of <paramref name="sweepTrials"/> deterministic trials, then a batch prediction job over
    /// <paramref name="predictionShards"/> shards, each done once calm and once through a storage that misbehaves at
    /// <paramref name="rates"/> (in alternating order: the sweep calm first, the job faulty first). Compares every
    /// trial's end and the best trial's final weights bit for bit, and every part of the job by its SHA-256; then
    /// verifies each checkpoint the trials and the job's model left.
    /// </summary>
    public async Task<StorageFaultJobsReport> RunJobsThroughStorageFaultsAsync(StorageFaultRates rates, int sweepTrials, int predictionShards)
    {
        ArgumentNullException.ThrowIfNull(rates);
        Directory.CreateDirectory(options.WorkDirectory);
        try
        {
            await StartAzuriteAsync();
            _proxy = await StorageFaultProxy.StartAsync([_ports[0], _ports[1], _ports[2]], options.Seed);
            _workers[0] = await StartWorkerAsync(StorageFaultWorkerSettings);
            _workers[1] = await StartWorkerAsync(StorageFaultWorkerSettings);
            var runs = new List<string>();

            var sweeps = new Dictionary<bool, Measured>();
            foreach (bool faulty in new[] { false, true })
            {
                string sweepId = $"{(faulty ? "faulty" : "calm")}-sweep-{_hub}";
                sweeps[faulty] = await MeasureAsync(faulty ? rates : StorageFaultRates.None, async () =>
                {
                    await SubmitSweepAsync(sweepId, sweepTrials);
                    return await WaitForSweepEndAsync(sweepId);
                });
                log.WriteLine($"The {(faulty ? "faulty" : "calm")} sweep took {sweeps[faulty].Seconds:F1} s.");
                runs.AddRange(sweeps[faulty].End.GetProperty("sweep").GetProperty("trials").EnumerateArray().Select(trial => trial.GetProperty("runId").GetString()!));
            }

            (IReadOnlyList<string> calmDecisions, int? calmBest) = Decisions(sweeps[false].End);
            (IReadOnlyList<string> faultyDecisions, int? faultyBest) = Decisions(sweeps[true].End);
            bool sweepIdentical = calmDecisions.SequenceEqual(faultyDecisions) && calmBest == faultyBest
                && await BestHashAsync(sweeps[false].End) == await BestHashAsync(sweeps[true].End);
            StorageFaultJob sweep = Job("ASHA sweep", faultyFirst: false, sweeps, sweeps[true].End.GetProperty("sweep").GetProperty("status").GetString()!, sweepIdentical,
                $"{faultyDecisions.Count} trials, best {faultyBest?.ToString(CultureInfo.InvariantCulture) ?? "none"}; {string.Join("; ", faultyDecisions)}");

            // The model and the rows go in calm: the job is what is measured.
            string model = "model-" + _hub;
            await SubmitAsync(model);
            await WaitForEndAsync(model);
            runs.Add(model);
            await UploadRowsAsync(predictionShards);
            var jobs = new Dictionary<bool, Measured>();
            foreach (bool faulty in new[] { true, false })
            {
                string jobId = $"{(faulty ? "faulty" : "calm")}-job-{_hub}";
                jobs[faulty] = await MeasureAsync(faulty ? rates : StorageFaultRates.None, async () =>
                {
                    await SubmitPredictionAsync(jobId, model);
                    return await WaitForEndedAsync($"/api/predictions/{jobId}", $"Prediction job {jobId}", TimeSpan.FromMilliseconds(250));
                });
                log.WriteLine($"The {(faulty ? "faulty" : "calm")} prediction job took {jobs[faulty].Seconds:F1} s.");
            }

            IReadOnlyList<string> calmParts = Parts(jobs[false].End);
            IReadOnlyList<string> faultyParts = Parts(jobs[true].End);
            StorageFaultJob prediction = Job("batch prediction", faultyFirst: true, jobs, jobs[true].End.GetProperty("runtimeStatus").GetString()!,
                calmParts.Count == predictionShards && calmParts.SequenceEqual(faultyParts),
                $"{faultyParts.Count} parts of {RowsPerShard} rows, SHA-256 {string.Join(", ", faultyParts.Select(part => part.Split(' ')[^1][..12]))}...");

            int verified = 0;
            foreach (string runId in runs)
            {
                verified += await VerifyCheckpointsAsync(runId);
            }

            return new StorageFaultJobsReport(rates, sweep, prediction, verified);
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    public static string Describe(StorageFaultJobsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine("| job | order | calm (s) | faulty (s) | faulty / calm | faulty job ended as | outcome identical to the calm job's | requests through the proxy | faults injected | queue messages hidden by a lost dequeue answer |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (StorageFaultJob job in new[] { report.Sweep, report.Prediction })
        {
            string faults = string.Join(", ", job.Faults.Where(fault => fault.Value > 0).Select(fault => $"{fault.Key} {fault.Value}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {job.Kind} | {(job.FaultyFirst ? "faulty, then calm" : "calm, then faulty")} | {job.CalmSeconds:F1} | {job.FaultySeconds:F1} | {job.FaultySeconds / job.CalmSeconds:F2} | {job.FaultyStatus} | {(job.OutcomeIdentical ? "yes" : "NO")} | {job.Requests} | {faults} | {job.HiddenMessages} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- {report.Sweep.Kind}: {report.Sweep.Outcome}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- {report.Prediction.Kind}: {report.Prediction.Outcome}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Checkpoint blobs left by the trials and the job's model, all verified against their hashes: {report.CheckpointsVerified}.");
        return text.ToString();
    }

    /// <summary>A job's end and what the proxy did while it ran.</summary>
    private sealed record Measured(JsonElement End, double Seconds, IReadOnlyDictionary<StorageFault, int> Faults, long Requests, long HiddenMessages);

    /// <summary>Runs <paramref name="job"/> (submission to end) with the proxy at <paramref name="rates"/>, then calms it.</summary>
    private async Task<Measured> MeasureAsync(StorageFaultRates rates, Func<Task<JsonElement>> job)
    {
        StorageFaultProxy proxy = _proxy ?? throw new InvalidOperationException("Start the storage fault proxy first.");
        IReadOnlyDictionary<StorageFault, int> before = proxy.Counts;
        long requests = proxy.Requests;
        long hidden = proxy.HiddenMessages;
        proxy.Rates = rates;
        try
        {
            var clock = Stopwatch.StartNew();
            JsonElement end = await job();
            double seconds = clock.Elapsed.TotalSeconds;
            return new Measured(end, seconds, proxy.Counts.ToDictionary(count => count.Key, count => count.Value - before[count.Key]), proxy.Requests - requests, proxy.HiddenMessages - hidden);
        }
        finally
        {
            proxy.Rates = StorageFaultRates.None;
        }
    }

    private static StorageFaultJob Job(string kind, bool faultyFirst, Dictionary<bool, Measured> measured, string faultyStatus, bool identical, string outcome) =>
        new(kind, faultyFirst, measured[false].Seconds, measured[true].Seconds, faultyStatus, identical, outcome,
            measured[true].Faults, measured[true].Requests, measured[true].HiddenMessages);

    /// <summary>Each part of a prediction job's manifest as "path rows sha256", in order.</summary>
    private static IReadOnlyList<string> Parts(JsonElement job) =>
        job.TryGetProperty("manifest", out JsonElement manifest) && manifest.ValueKind == JsonValueKind.Object
            ? [.. manifest.GetProperty("parts").EnumerateArray().Select(part => $"{part.GetProperty("path").GetString()} {part.GetProperty("rows").GetInt64()} {part.GetProperty("sha256").GetString()}")]
            : [];

    /// <summary>Shards of random 28×28 images (seeded) in the datasets store, for the job to predict.</summary>
    private async Task UploadRowsAsync(int shards)
    {
        var random = new Random(options.Seed);
        using HttpClient http = Client();
        for (int shard = 0; shard < shards; shard++)
        {
            float[] pixels = [.. Enumerable.Range(0, RowsPerShard * 28 * 28).Select(_ => (float)random.NextDouble())];
            using var content = new ByteArrayContent(FloatNpy(pixels, RowsPerShard, 1, 28, 28));
            using HttpResponseMessage response = await http.PutAsync(new Uri($"/api/datasets/rows-{_hub}/shard-{shard}.npy", UriKind.Relative), content);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Could not upload shard {shard}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    private async Task SubmitPredictionAsync(string jobId, string model)
    {
        string body = $$"""
            {"predictionId":"{{jobId}}","model":{"run":"{{model}}"},"data":{"source":"rows-{{_hub}}/","sharded":true},"output":{"format":"csv"},"parallelism":2}
            """;
        using HttpClient http = Client();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/api/predictions", UriKind.Relative), content);
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"Could not start prediction job {jobId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A float32 array as numpy.save writes it (format 1.0, header padded to 64 bytes).</summary>
    private static byte[] FloatNpy(float[] values, params int[] shape)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}), }}";
        header = header.PadRight(header.Length + ((64 - ((10 + header.Length + 1) % 64)) % 64)) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return stream.ToArray();
    }
}
