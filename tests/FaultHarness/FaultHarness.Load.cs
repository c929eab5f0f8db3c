using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.Storage;

namespace DurableTrainer.FaultHarness;

/// <summary>Latencies of one route in milliseconds.</summary>
public sealed record RouteLatency(string Route, int Requests, double P50, double P99, double Max, int Failures);

/// <summary>What many runs submitted at once showed: how each ended, whether any was lost or ran twice, and how the routes answered meanwhile.</summary>
public sealed record LoadReport(int Runs, int Completed, IReadOnlyList<string> Problems, IReadOnlyList<RouteLatency> Routes, double SubmitSeconds, double WallSeconds, int StepsPerRun, int ChunksPerRun);

public sealed partial class FaultHarness
{
    private const int LoadSteps = 40;
    private const int LoadStepsPerChunk = 10;

    /// <summary>
    /// Submits <paramref name="runs"/> short runs at once to two workers and, while they train, asks the status route
    /// of a random run and the list route in turn, timing each answer. Then checks every run: completed, with all its
    /// steps, one execution, each chunk scheduled once, and each step journaled once.
    /// </summary>
    public async Task<LoadReport> RunLoadAsync(int runs)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        var wall = Stopwatch.StartNew();
        try
        {
            await StartAzuriteAsync();
            _workers[0] = await StartWorkerAsync();
            _workers[1] = await StartWorkerAsync();
            string[] ids = [.. Enumerable.Range(1, runs).Select(run => $"load-{run:D3}-{_hub}")];

            var submit = Stopwatch.StartNew();
            await Task.WhenAll(ids.Select((id, index) => SubmitLoadRunAsync(id, seed: index + 1)));
            submit.Stop();
            log.WriteLine($"{runs} runs submitted in {submit.Elapsed.TotalSeconds:F1} s.");

            var status = new List<double>();
            var list = new List<double>();
            int statusFailures = 0, listFailures = 0;
            using HttpClient http = Client();
            http.Timeout = TimeSpan.FromSeconds(30);
            var deadline = DateTime.UtcNow + RunTimeout;
            int ended = 0;
            for (int round = 0; ended < runs && DateTime.UtcNow < deadline; round++)
            {
                (double? statusMs, _) = await TimedGetAsync(http, $"/api/training/{ids[_random.Next(runs)]}");
                if (statusMs is { } s) { status.Add(s); } else { statusFailures++; }

                (double? listMs, JsonElement? listed) = await TimedGetAsync(http, "/api/training?top=100");
                if (listMs is { } l) { list.Add(l); } else { listFailures++; }

                if (listed is { } runsListed && round % 10 == 0)
                {
                    ended = runsListed.EnumerateArray().Count(item => item.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated");
                    log.WriteLine($"{ended} of {runs} runs ended after {wall.Elapsed.TotalSeconds:F0} s.");
                }

                await Task.Delay(100);
            }

            var problems = new List<string>();
            int completed = 0;
            foreach (string id in ids)
            {
                string? problem = await CheckLoadRunAsync(id);
                if (problem is null)
                {
                    completed++;
                }
                else
                {
                    problems.Add(problem);
                }
            }

            return new LoadReport(
                runs, completed, problems,
                [Latency("GET /api/training/{runId}", status, statusFailures), Latency("GET /api/training?top=100", list, listFailures)],
                submit.Elapsed.TotalSeconds, wall.Elapsed.TotalSeconds, LoadSteps, LoadSteps / LoadStepsPerChunk);
        }
        finally
        {
            await StopEverythingAsync();
        }
    }

    public static string Describe(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine("| measure | value |");
        text.AppendLine("| --- | --- |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| runs submitted at once | {report.Runs} ({report.SubmitSeconds:F1} s to accept them all) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| completed with every step, one execution, each chunk scheduled once, each step journaled once | {report.Completed} of {report.Runs} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| from the first start to the last check | {report.WallSeconds:F0} s |");
        foreach (RouteLatency route in report.Routes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| `{route.Route}` while the runs trained: p50 / p99 / max | {route.P50:F0} / {route.P99:F0} / {route.Max:F0} ms over {route.Requests} requests ({route.Failures} failed) |");
        }

        foreach (string problem in report.Problems)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| problem | {problem} |");
        }

        return text.ToString();
    }

    private async Task SubmitLoadRunAsync(string runId, int seed)
    {
        string body = $$"""
            {"runId":"{{runId}}","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":{{LoadSteps}},"seed":{{seed}}},"evaluation":{"intervalSteps":100000},"execution":{"stepsPerChunk":{{LoadStepsPerChunk}}} }
            """;
        using HttpClient http = Client();
        http.Timeout = TimeSpan.FromSeconds(60);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/api/training", UriKind.Relative), content);
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"Could not start {runId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Null when the run completed as it should; otherwise what is wrong with it.</summary>
    private async Task<string?> CheckLoadRunAsync(string runId)
    {
        JsonElement status = await WaitForEndAsync(runId);
        string runtime = status.GetProperty("runtimeStatus").GetString()!;
        if (runtime != "Completed")
        {
            return $"{runId} ended {runtime}";
        }

        JsonElement? history = await GetAsync($"/runtime/webhooks/durabletask/instances/{runId}?showHistory=true");
        JsonElement[] events = history is { } found && found.TryGetProperty("historyEvents", out JsonElement array) ? [.. array.EnumerateArray()] : [];
        int executions = events.Count(e => e.GetProperty("EventType").GetString() == "ExecutionStarted");
        int chunks = events.Count(e => e.GetProperty("EventType").GetString() == "TaskScheduled" && e.GetProperty("Name").GetString() == "RunChunk");
        if (executions != 1 || chunks != LoadSteps / LoadStepsPerChunk)
        {
            return $"{runId}: {executions} execution(s), {chunks} chunk(s) scheduled";
        }

        BlobClient journal = new BlobServiceClient(_azurite!.ConnectionString).GetBlobContainerClient(BlobTrainingJournal.DefaultContainerName).GetBlobClient(BlobTrainingJournal.BlobName(RunId.Parse(runId)));
        string text = (await journal.DownloadContentAsync()).Value.Content.ToString();
        long[] steps = [.. TrainingJournalFormat.Lines(text).Where(line => line.Record.Kind == Application.Contracts.TrainingJournalKind.Step).Select(line => line.Record.Step)];
        return steps.Order().SequenceEqual(Enumerable.Range(1, LoadSteps).Select(step => (long)step))
            ? null
            : $"{runId}: the journal holds {steps.Length} step records for {LoadSteps} steps";
    }

    private static async Task<(double? Milliseconds, JsonElement? Body)> TimedGetAsync(HttpClient http, string path)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            JsonElement body = await http.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative));
            return (clock.Elapsed.TotalMilliseconds, body);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (null, null);
        }
    }

    private static RouteLatency Latency(string route, List<double> milliseconds, int failures)
    {
        double[] sorted = [.. milliseconds.Order()];
        double At(double quantile) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
        return new RouteLatency(route, sorted.Length, At(0.50), At(0.99), sorted.Length == 0 ? double.NaN : sorted[^1], failures);
    }
}
