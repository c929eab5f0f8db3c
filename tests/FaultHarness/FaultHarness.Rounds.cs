using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DurableTrainer.FaultHarness;

/// <summary>One look at a long run: its round, the processes' resident memory, its current history, and how fast its status answered.</summary>
public sealed record RoundSample(double Seconds, long Round, double WorkerMiB, double AzuriteMiB, int HistoryEvents, double StatusMilliseconds);

/// <summary>What a run of many tiny rounds showed over its life.</summary>
public sealed record RoundsReport(long Rounds, int RoundsPerExecution, string Status, double WallSeconds, IReadOnlyList<RoundSample> Samples);

public sealed partial class FaultHarness
{
    private const int RoundsPerExecution = 50;

    /// <summary>
    /// One run of <paramref name="rounds"/> one-step chunks of a tiny model on one worker, so that the engine's
    /// bookkeeping, not training, is what the run does: it continues as new every <see cref="RoundsPerExecution"/>
    /// rounds. Every two seconds, samples the worker's and Azurite's resident memory, the length of the current
    /// execution's history, and the time the status route takes to answer.
    /// </summary>
    public async Task<RoundsReport> RunRoundsAsync(long rounds)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        var wall = Stopwatch.StartNew();
        try
        {
            await StartAzuriteAsync();
            _workers[0] = await StartWorkerAsync();
            string runId = "rounds-" + _hub;
            string body = $$"""
                {"runId":"{{runId}}","data":{"dataset":"synthetic"},"model":{"layers":[{"type":"flatten"},{"type":"linear","units":10}]},"training":{"maxSteps":{{rounds}},"seed":{{options.Seed}}},"evaluation":{"intervalSteps":{{rounds}}},"execution":{"stepsPerChunk":1,"roundsPerExecution":{{RoundsPerExecution}}} }
                """;
            using HttpClient http = Client();
            using (var content = new StringContent(body, Encoding.UTF8, "application/json"))
            using (HttpResponseMessage response = await http.PostAsync(new Uri("/api/training", UriKind.Relative), content))
            {
                if ((int)response.StatusCode != 202)
                {
                    throw new InvalidOperationException($"Could not start {runId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }

            var samples = new List<RoundSample>();
            string status = "Running";
            var deadline = DateTime.UtcNow + TimeSpan.FromHours(2);
            while (DateTime.UtcNow < deadline)
            {
                (double? milliseconds, JsonElement? run) = await TimedGetAsync(http, $"/api/training/{runId}");
                if (run is { } summary)
                {
                    status = summary.GetProperty("runtimeStatus").GetString()!;
                    if (status is "Completed" or "Failed" or "Terminated")
                    {
                        break;
                    }

                    JsonElement? instance = await GetAsync($"/runtime/webhooks/durabletask/instances/{runId}?showHistory=true");
                    int events = instance is { } found && found.TryGetProperty("historyEvents", out JsonElement array) ? array.GetArrayLength() : -1;
                    long round = summary.GetProperty("step") is { ValueKind: JsonValueKind.Number } step ? step.GetInt64() : 0;
                    samples.Add(new RoundSample(wall.Elapsed.TotalSeconds, round, ResidentMiB(_workers[0]!.Process.Id),
                        _azurite!.Process is { } azurite ? ResidentMiB(azurite.Id) : double.NaN, events, milliseconds!.Value));
                    if (samples.Count % 30 == 0)
                    {
                        log.WriteLine($"Round {round} of {rounds} after {wall.Elapsed.TotalSeconds:F0} s: worker {samples[^1].WorkerMiB:F0} MiB, history {events} events.");
                    }
                }

                await Task.Delay(2000);
            }

            return new RoundsReport(rounds, RoundsPerExecution, status, wall.Elapsed.TotalSeconds, samples);
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    /// <summary>
    /// The report as a table of the rounds in tenths (the highest memory and history, and the status route's median
    /// and slowest answer, in each), with a line on how much each grew from the second tenth to the last.
    /// </summary>
    public static string Describe(RoundsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"The run ended {report.Status} after {report.WallSeconds:F0} s ({report.Rounds / report.WallSeconds:F1} rounds a second), sampled {report.Samples.Count} times.");
        text.AppendLine();
        text.AppendLine("| rounds | worker RSS, highest (MiB) | Azurite RSS, highest (MiB) | events in the current history, most | status route, median / slowest (ms) |");
        text.AppendLine("| --- | --- | --- | --- | --- |");
        List<RoundSample[]> tenths = Tenths(report);
        foreach (RoundSample[] tenth in tenths)
        {
            double[] status = [.. tenth.Select(sample => sample.StatusMilliseconds).Order()];
            text.AppendLine(CultureInfo.InvariantCulture, $"| {tenth[0].Round}-{tenth[^1].Round} | {tenth.Max(sample => sample.WorkerMiB):F0} | {tenth.Max(sample => sample.AzuriteMiB):F0} | {tenth.Max(sample => sample.HistoryEvents)} | {status[status.Length / 2]:F0} / {status[^1]:F0} |");
        }

        if (tenths.Count >= 3)
        {
            RoundSample[] early = tenths[1];
            RoundSample[] late = tenths[^1];
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"From the second tenth to the last: the worker's highest RSS went {early.Max(s => s.WorkerMiB):F0} → {late.Max(s => s.WorkerMiB):F0} MiB, the longest history {early.Max(s => s.HistoryEvents)} → {late.Max(s => s.HistoryEvents)} events, the status route's median {Median(early):F0} → {Median(late):F0} ms.");
        }

        return text.ToString();
    }

    /// <summary>Resident memory against round as an SVG line chart, one line per process.</summary>
    public static string MemoryChart(RoundsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        const double Width = 720, Height = 320, Left = 60, Right = 20, Top = 20, Bottom = 40;
        IReadOnlyList<RoundSample> samples = report.Samples;
        double maxRound = Math.Max(1, samples.Count == 0 ? 1 : samples.Max(sample => sample.Round));
        double maxMiB = Math.Max(1, samples.Count == 0 ? 1 : samples.Max(sample => Math.Max(sample.WorkerMiB, double.IsNaN(sample.AzuriteMiB) ? 0 : sample.AzuriteMiB)));
        double top = Math.Ceiling(maxMiB * 1.1 / 100) * 100;
        string X(double round) => (Left + (round / maxRound * (Width - Left - Right))).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double mib) => (Top + ((1 - (mib / top)) * (Height - Top - Bottom))).ToString("F1", CultureInfo.InvariantCulture);
        string Line(Func<RoundSample, double> value) => string.Join(' ', samples.Where(sample => !double.IsNaN(value(sample))).Select(sample => $"{X(sample.Round)},{Y(value(sample))}"));

        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine("""<rect width="100%" height="100%" fill="white"/>""");
        for (int tick = 0; tick <= 4; tick++)
        {
            double mib = top * tick / 4;
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{Left}" x2="{Width - Right}" y1="{Y(mib)}" y2="{Y(mib)}" stroke="#ddd"/><text x="{Left - 6}" y="{Y(mib)}" text-anchor="end" dominant-baseline="middle">{mib:F0}</text>""");
            double round = maxRound * tick / 4;
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{X(round)}" y="{Height - Bottom + 16}" text-anchor="middle">{round:F0}</text>""");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{(Left + Width - Right) / 2}" y="{Height - 6}" text-anchor="middle">round</text>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="14" y="{Top + ((Height - Top - Bottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 {Top + ((Height - Top - Bottom) / 2)})">resident memory (MiB)</text>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{Line(sample => sample.WorkerMiB)}"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="#ff7f0e" stroke-width="1.5" points="{Line(sample => sample.AzuriteMiB)}"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{Left + 10}" y="{Top + 14}" fill="#1f77b4">worker</text><text x="{Left + 70}" y="{Top + 14}" fill="#ff7f0e">Azurite</text>""");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static List<RoundSample[]> Tenths(RoundsReport report)
    {
        long size = Math.Max(1, report.Rounds / 10);
        return [.. report.Samples.GroupBy(sample => Math.Min(9, sample.Round / size)).OrderBy(group => group.Key).Select(group => group.ToArray())];
    }

    private static double Median(RoundSample[] samples)
    {
        double[] sorted = [.. samples.Select(sample => sample.StatusMilliseconds).Order()];
        return sorted[sorted.Length / 2];
    }

    /// <summary>VmRSS of a process in MiB, from /proc; NaN when it cannot be read.</summary>
    private static double ResidentMiB(int processId)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
