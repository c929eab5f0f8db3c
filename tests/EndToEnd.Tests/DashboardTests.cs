using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// The metrics journal over HTTP, and the dashboard in a real headless chromium, against a worker with an API key
/// (so the page has to carry <c>?code=</c> into every request it makes).
/// </summary>
public sealed class DashboardTests(KeyedWorkerFixture fixture, ITestOutputHelper output) : IClassFixture<KeyedWorkerFixture>
{
    private async Task StartAsync(string json)
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), json);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
    }

    private Task<JsonElement> WaitForEndAsync(string runId, TimeSpan timeout) =>
        StatusPolling.UntilAsync(fixture.Http, $"/api/training/{runId}", summary => summary.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated",
            timeout, () => fixture.Worker.Process.ReadLogTail());

    private async Task<JsonElement[]> RecordsAsync(string runId)
    {
        string json = await fixture.Http.GetStringAsync(new Uri($"/api/training/{runId}/metrics", UriKind.Relative));
        JsonElement body = JsonDocument.Parse(json).RootElement.Clone();
        Assert.Equal(runId, body.GetProperty("runId").GetString());
        return [.. body.GetProperty("records").EnumerateArray()];
    }

    private static string Kind(JsonElement record) => record.GetProperty("kind").GetString()!;

    [Fact]
    public async Task Metrics_OfARunWithAChunkTime_ShowRoundsSizedByTheMeasuredRate_EndingOnEachEvaluation()
    {
        // The first round runs the plan's 10 steps; the next ones would last 10 s at its rate (thousands of steps for
        // this MLP), so each is cut at the next evaluation instead: 10, 90, 100, 100 rather than 30 rounds of 10.
        await StartAsync("""{"runId":"e2e-timed","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":300},"evaluation":{"intervalSteps":100},"execution":{"stepsPerChunk":10,"chunkSeconds":10}}""");
        JsonElement summary = await WaitForEndAsync("e2e-timed", TimeSpan.FromMinutes(2));
        Assert.Equal("Completed", summary.GetProperty("runtimeStatus").GetString());

        JsonElement[] records = await RecordsAsync("e2e-timed");

        Assert.Equal(new long[] { 10, 100, 200, 300 }, records.Where(record => Kind(record) == "chunk").Select(record => record.GetProperty("step").GetInt64()));
        Assert.Equal(new long[] { 100, 200, 300 }, records.Where(record => Kind(record) == "evaluation").Select(record => record.GetProperty("step").GetInt64()));
        Assert.Equal(300, records.Count(record => Kind(record) == "step"));
    }

    [Fact]
    public async Task Metrics_AfterAShortRun_HoldEveryStepEachChunkTheEvaluationsAndTheStop_InStepOrder()
    {
        await StartAsync("""{"runId":"e2e-metrics","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":120},"evaluation":{"intervalSteps":40},"execution":{"stepsPerChunk":40}}""");
        JsonElement summary = await WaitForEndAsync("e2e-metrics", TimeSpan.FromMinutes(2));
        Assert.Equal("Completed", summary.GetProperty("runtimeStatus").GetString());

        JsonElement[] records = await RecordsAsync("e2e-metrics");

        long[] steps = records.Select(record => record.GetProperty("step").GetInt64()).ToArray();
        Assert.Equal(steps.Order(), steps);
        Assert.All(records, record => Assert.True(record.TryGetProperty("time", out JsonElement time) && time.GetString()!.EndsWith('Z')));
        Assert.Equal(Enumerable.Range(1, 120).Select(step => (long)step), records.Where(record => Kind(record) == "step").Select(record => record.GetProperty("step").GetInt64()));
        Assert.All(records.Where(record => Kind(record) == "step"), record => Assert.True(record.GetProperty("learningRate").GetDouble() > 0));
        Assert.Equal(new long[] { 40, 80, 120 }, records.Where(record => Kind(record) == "chunk").Select(record => record.GetProperty("step").GetInt64()));
        Assert.Equal(new long[] { 40, 80, 120 }, records.Where(record => Kind(record) == "evaluation").Select(record => record.GetProperty("step").GetInt64()));
        Assert.All(records.Where(record => Kind(record) == "evaluation"), record => Assert.InRange(record.GetProperty("accuracy").GetDouble(), 0, 1));
        // The stop, then the test split's verdict on the final checkpoint, end the journal.
        JsonElement stop = records[^2];
        Assert.Equal("stop", Kind(stop));
        Assert.Equal(("test", "final"), (Kind(records[^1]), records[^1].GetProperty("status").GetString()));
        Assert.InRange(records[^1].GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(("Completed", "PlanCompleted", 120L), (stop.GetProperty("status").GetString(), stop.GetProperty("reason").GetString(), stop.GetProperty("step").GetInt64()));
        Assert.False(records.Any(record => record.TryGetProperty("scale", out JsonElement scale) && scale.ValueKind == JsonValueKind.Null), "Absent fields are left out, not written as null.");

        // The cursor the answer gave asks for nothing already seen; a kind filter keeps only that kind; a bad cursor is a 400.
        JsonElement whole = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri("/api/training/e2e-metrics/metrics", UriKind.Relative))).RootElement.Clone();
        long cursor = whole.GetProperty("cursor").GetInt64();
        JsonElement rest = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/api/training/e2e-metrics/metrics?after={cursor}", UriKind.Relative))).RootElement.Clone();
        Assert.Equal((0, cursor), (rest.GetProperty("records").GetArrayLength(), rest.GetProperty("cursor").GetInt64()));
        JsonElement evaluationsOnly = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri("/api/training/e2e-metrics/metrics?kind=evaluation", UriKind.Relative))).RootElement.Clone();
        Assert.Equal(new long[] { 40, 80, 120 }, evaluationsOnly.GetProperty("records").EnumerateArray().Select(record => record.GetProperty("step").GetInt64()));
        using HttpResponseMessage badCursor = await fixture.Http.GetAsync(new Uri("/api/training/e2e-metrics/metrics?after=-5", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
        Assert.Contains("after", await badCursor.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The final checkpoint's bytes through the checkpoint route; a missing one, a path trick and an unknown run are 404s.
        string final = summary.GetProperty("finalCheckpoint").GetString()!["e2e-metrics/".Length..];
        using HttpResponseMessage checkpoint = await fixture.Http.GetAsync(new Uri($"/api/training/e2e-metrics/checkpoints/{final}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
        Assert.Equal("application/octet-stream", checkpoint.Content.Headers.ContentType!.MediaType);
        Assert.True((await checkpoint.Content.ReadAsByteArrayAsync()).Length > 100_000);
        foreach (string path in new[] { "/api/training/e2e-metrics/checkpoints/round-000099/merged", "/api/training/e2e-metrics/checkpoints/..%2F..%2Fx", "/api/training/no-such-run/metrics" })
        {
            using HttpResponseMessage missing = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }

    [Fact]
    public async Task Dashboard_InHeadlessChromium_DrawsTheLossCurveAsTheRunTrains_ThenShowsItsDecisions()
    {
        await Chromium.EnsureInstalledAsync(output.WriteLine);
        const string RunId = "e2e-dashboard";
        // Many short rounds (and a continue-as-new at round 50), so the curve visibly grows for about 20 seconds.
        await StartAsync($$"""{"runId":"{{RunId}}","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":1500},"evaluation":{"intervalSteps":250},"execution":{"stepsPerChunk":25} }""");
        string artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
        // Held (suspended) while the page is first checked and the adjustment is raised, so the run cannot end before
        // the page has seen it training, however slowly chromium starts; resumed once the adjustment is queued.
        await StatusPolling.UntilAsync(fixture.Http, $"/api/training/{RunId}", summary => summary.GetProperty("step") is { ValueKind: JsonValueKind.Number } step && step.GetInt64() >= 25, TimeSpan.FromMinutes(2));
        using (await fixture.Http.PostAsync(new Uri($"/runtime/webhooks/durabletask/instances/{RunId}/suspend", UriKind.Relative), null))
        {
        }

        await StatusPolling.UntilAsync(fixture.Http, $"/api/training/{RunId}", summary => summary.GetProperty("runtimeStatus").GetString() == "Suspended", TimeSpan.FromMinutes(1));

        await InChromiumAsync(async (page, consoleErrors) =>
        {
            var metricsRequests = new List<string>();
            page.Request += (_, request) => { if (request.Url.Contains("/metrics", StringComparison.Ordinal)) { lock (metricsRequests) { metricsRequests.Add(request.Url); } } };
            string url = new Uri(fixture.Worker.BaseAddress, $"/dashboard/{RunId}?code={KeyedWorkerFixture.Key}").ToString();
            await page.GotoAsync(url);

            // The loss chart has points while the run is still training...
            await page.WaitForFunctionAsync("() => Number(document.getElementById('loss-chart').dataset.points) > 0");
            (int first, string state) = await PointsAsync(page);
            Assert.Equal("running", state);
            var clock = Stopwatch.StartNew();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "dashboard-running.png"), FullPage = true });
            // ...an adjustment lands in the decisions table later...
            using HttpResponseMessage adjust = await fixture.Http.PostJsonAsync(new Uri($"/runtime/webhooks/durabletask/instances/{RunId}/raiseEvent/adjust", UriKind.Relative),
                """{"learningRateScale":0.5}""");
            Assert.Equal(HttpStatusCode.Accepted, adjust.StatusCode);
            // One more poll while held, so the page has asked with a cursor before the run goes on.
            await page.WaitForRequestAsync(request => request.Url.Contains("/metrics", StringComparison.Ordinal), new PageWaitForRequestOptions { Timeout = 30_000 });
            using (await fixture.Http.PostAsync(new Uri($"/runtime/webhooks/durabletask/instances/{RunId}/resume", UriKind.Relative), null))
            {
            }

            // ...and the curve grows on the page's own polling, with no reload.
            await page.WaitForFunctionAsync($"() => Number(document.getElementById('loss-chart').dataset.points) > {first}", null, new PageWaitForFunctionOptions { Timeout = 120_000 });
            (int second, _) = await PointsAsync(page);
            output.WriteLine($"Loss chart: {first} points while training, {second} points {clock.Elapsed.TotalSeconds:F1} s later.");

            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ended'", null, new PageWaitForFunctionOptions { Timeout = 180_000 });
            (int final, _) = await PointsAsync(page);
            Assert.True(final >= second, $"{final} points at the end, {second} before.");
            Assert.Equal("Completed", await page.InnerTextAsync("#status"));
            Assert.True(int.Parse(await page.GetAttributeAsync("#eval-chart", "data-points") ?? "0", System.Globalization.CultureInfo.InvariantCulture) >= 6 * 2);
            Assert.True(await page.Locator("#decisions tr[data-kind=evaluation]").CountAsync() >= 6);
            Assert.Equal(1, await page.Locator("#decisions tr[data-kind=stop]").CountAsync());
            Assert.Contains("PlanCompleted", await page.InnerTextAsync("#decisions tr[data-kind=stop]"), StringComparison.Ordinal);
            Assert.Contains("adjust", await page.InnerTextAsync("#decisions"), StringComparison.Ordinal);
            Assert.Equal("ended", await page.InnerTextAsync("#eta"));

            // The page polled with the cursor, asking each time only for what was written since; the merged pages
            // still hold every decision the whole journal has.
            string[] cursors = [.. metricsRequests.Select(request => System.Web.HttpUtility.ParseQueryString(new Uri(request).Query)["after"] ?? "missing")];
            output.WriteLine($"Metrics requests: {cursors.Length}, cursors {string.Join(", ", cursors.Take(12))} ...");
            Assert.Equal("0", cursors[0]);
            Assert.True(cursors.Length >= 3, $"{cursors.Length} metrics requests");
            long[] offsets = [.. cursors.Select(cursor => long.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture))];
            Assert.Equal(offsets.Order(), offsets);
            Assert.True(offsets[^1] > 0);
            string[] decisionKinds = ["evaluation", "test", "learningRate", "rollback", "checkpoint", "stop"];
            Assert.Equal((await RecordsAsync(RunId)).Count(record => decisionKinds.Contains(Kind(record))), await page.Locator("#decisions tr").CountAsync());

            // Checkpoint links carry the key and download through the checkpoint route.
            string href = (await page.Locator("#checkpoints a").First.GetAttributeAsync("href"))!;
            Assert.Contains("code=" + KeyedWorkerFixture.Key, href, StringComparison.Ordinal);
            Assert.Equal(200, await page.EvaluateAsync<int>("href => fetch(href).then(response => response.status)", href));
            Assert.Empty(consoleErrors);

            string screenshot = Path.Combine(artifacts, "dashboard.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            string published = Path.Combine(Directory.CreateDirectory(Path.Combine(RepositoryPaths.Root, "artifacts")).FullName, "dashboard.png");
            File.Copy(screenshot, published, overwrite: true);
            output.WriteLine($"Dashboard screenshot: {published} (also {screenshot})");

            // The "all runs" link keeps the key too, and the list links back to this run's page.
            await page.ClickAsync("#all-runs");
            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'listed'");
            string runLink = (await page.Locator($"#runs a:text-is('{RunId}')").GetAttributeAsync("href"))!;
            Assert.EndsWith($"/dashboard/{RunId}?code={KeyedWorkerFixture.Key}", runLink, StringComparison.Ordinal);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "dashboard-list.png") });
        });
    }

    [Fact]
    public async Task DashboardList_LinksEveryRecentRunAndKeepsTheKey()
    {
        using HttpResponseMessage page = await fixture.Http.GetAsync(new Uri("/dashboard", UriKind.Relative));
        using var anonymous = new HttpClient { BaseAddress = fixture.Worker.BaseAddress };
        using HttpResponseMessage withoutKey = await anonymous.GetAsync(new Uri("/dashboard/e2e-metrics", UriKind.Relative));
        using HttpResponseMessage withCode = await anonymous.GetAsync(new Uri($"/dashboard/e2e-metrics?code={KeyedWorkerFixture.Key}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withCode.StatusCode);
    }

    [Fact]
    public async Task SweepDashboard_InHeadlessChromium_DrawsEveryTrialsCurve_SortsTheTable_AndLinksToEachTrial()
    {
        await Chromium.EnsureInstalledAsync(output.WriteLine);
        const string SweepId = "e2e-sweep-page";
        const string Body = """
            {"sweepId": "e2e-sweep-page", "base": {"data": {"dataset": "synthetic"}, "model": {"architecture": "mlp"}, "training": {"maxSteps": 240},
             "evaluation": {"intervalSteps": 40}, "execution": {"stepsPerChunk": 40}},
             "space": {"optimizer.learningRate": [0.00001, 0.0003, 0.003, 0.03]},
             "scheduler": {"kind": "asha", "graceSteps": 40, "reductionFactor": 2}, "maxConcurrent": 2}
            """;
        using HttpResponseMessage started = await fixture.Http.PostJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Body);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        string artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

        await InChromiumAsync(async (page, consoleErrors) =>
        {
            await page.GotoAsync(new Uri(fixture.Worker.BaseAddress, $"/dashboard/sweeps/{SweepId}?code={KeyedWorkerFixture.Key}").ToString());

            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ended'", null, new PageWaitForFunctionOptions { Timeout = 240_000 });
            JsonElement sweep = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/api/sweeps/{SweepId}", UriKind.Relative))).RootElement.GetProperty("sweep").Clone();
            JsonElement[] trials = [.. sweep.GetProperty("trials").EnumerateArray()];
            Assert.Equal("Completed", await page.InnerTextAsync("#sweep-status"));

            // Every trial that evaluated has its own curve, with as many points as its journal has evaluations.
            int evaluations = 0;
            foreach (JsonElement trial in trials)
            {
                evaluations += (await RecordsAsync(trial.GetProperty("runId").GetString()!)).Count(record => Kind(record) == "evaluation");
            }

            Assert.Equal(trials.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.GetAttributeAsync("#sweep-chart", "data-series"));
            Assert.Equal(evaluations.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.GetAttributeAsync("#sweep-chart", "data-points"));
            Assert.Equal(trials.Length, await page.Locator("#trials tr").CountAsync());
            int stopped = trials.Count(trial => trial.GetProperty("status").GetString() == "Stopped");
            Assert.True(stopped > 0, "ASHA stopped no trial, so the page's stopped rows are untested.");
            Assert.Equal(stopped, await page.Locator("#trials tr[data-status=Stopped]").CountAsync());
            Assert.Equal(sweep.GetProperty("bestTrial").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), await page.GetAttributeAsync("#trials tr.best", "data-trial"));

            // Sorting by the metric: ascending on the first click, descending on the second, the best trial first.
            await page.ClickAsync("#trial-headings th[data-sort=metric]");
            Assert.Equal("ascending", await page.GetAttributeAsync("#trial-headings th[data-sort=metric]", "aria-sort"));
            double[] ascending = await MetricColumnAsync(page);
            Assert.Equal(ascending.Order(), ascending);
            await page.ClickAsync("#trial-headings th[data-sort=metric]");
            double[] descending = await MetricColumnAsync(page);
            Assert.Equal(ascending.Reverse(), descending);
            Assert.Equal(sweep.GetProperty("bestTrial").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), await page.GetAttributeAsync("#trials tr:first-child", "data-trial"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "dashboard-sweep.png"), FullPage = true });
            File.Copy(Path.Combine(artifacts, "dashboard-sweep.png"), Path.Combine(Directory.CreateDirectory(Path.Combine(RepositoryPaths.Root, "artifacts")).FullName, "dashboard-sweep.png"), overwrite: true);
            Assert.Empty(consoleErrors);

            // A trial's link keeps the key and opens that trial's own run page.
            string trialRun = trials[0].GetProperty("runId").GetString()!;
            ILocator trialLink = page.Locator("#trials tr[data-trial='0'] a");
            Assert.EndsWith($"/dashboard/{trialRun}?code={KeyedWorkerFixture.Key}", await trialLink.GetAttributeAsync("href"), StringComparison.Ordinal);
            await trialLink.ClickAsync();
            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ended'");
            Assert.Equal(trialRun, await page.InnerTextAsync("#title"));

            // The list page lists the sweep and links back to its page.
            await page.ClickAsync("#all-runs");
            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'listed'");
            Assert.EndsWith($"/dashboard/sweeps/{SweepId}?code={KeyedWorkerFixture.Key}", await page.Locator($"#sweeps a:text-is('{SweepId}')").GetAttributeAsync("href"), StringComparison.Ordinal);
            Assert.Empty(consoleErrors);
        });
    }

    [Fact]
    public async Task PredictionDashboard_InHeadlessChromium_ShowsTheJobsPartsAndMetrics_AndTheListLinksToIt()
    {
        await Chromium.EnsureInstalledAsync(output.WriteLine);
        await StartAsync("""{"runId":"e2e-predict-page","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":20},"execution":{"stepsPerChunk":20}}""");
        Assert.Equal("Completed", (await WaitForEndAsync("e2e-predict-page", TimeSpan.FromMinutes(2))).GetProperty("runtimeStatus").GetString());
        var random = new Random(3);
        byte[] rows = DataFiles.Npz(("x", DataFiles.Npy([.. Enumerable.Range(0, 300 * 784).Select(_ => (float)random.NextDouble())], 300, 1, 28, 28)), ("y", DataFiles.Npy([.. Enumerable.Range(0, 300).Select(i => (long)(i % 10))], 300)));
        using (HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/page-rows/rows.npz", UriKind.Relative), rows))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using HttpResponseMessage started = await fixture.Http.PostJsonAsync(new Uri("/api/predictions", UriKind.Relative),
            """{"predictionId":"e2e-page-job","model":{"run":"e2e-predict-page"},"data":{"source":"page-rows/rows.npz"},"rowsPerPart":100}""");
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());

        await InChromiumAsync(async (page, consoleErrors) =>
        {
            await page.GotoAsync(new Uri(fixture.Worker.BaseAddress, $"/dashboard/predictions/e2e-page-job?code={KeyedWorkerFixture.Key}").ToString());

            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ended'", null, new PageWaitForFunctionOptions { Timeout = 120_000 });
            Assert.Equal("Completed", await page.InnerTextAsync("#prediction-status"));
            Assert.Equal("3 / 3", await page.InnerTextAsync("#prediction-parts"));
            Assert.Equal("300 / 300", await page.InnerTextAsync("#prediction-rows"));
            Assert.Contains("accuracy", await page.InnerTextAsync("#prediction-metrics"), StringComparison.Ordinal);
            Assert.Equal(3, await page.Locator("#prediction-parts-table tr").CountAsync());
            Assert.EndsWith($"/api/predictions/e2e-page-job/parts/2?code={KeyedWorkerFixture.Key}", await page.Locator("#prediction-parts-table tr:last-child a").GetAttributeAsync("href"), StringComparison.Ordinal);
            Assert.Empty(consoleErrors);

            await page.ClickAsync("#all-runs");
            await page.WaitForFunctionAsync("() => document.body.dataset.state === 'listed'");
            Assert.EndsWith($"/dashboard/predictions/e2e-page-job?code={KeyedWorkerFixture.Key}", await page.Locator("#predictions a:text-is('e2e-page-job')").GetAttributeAsync("href"), StringComparison.Ordinal);
            Assert.Empty(consoleErrors);
        });
    }

    /// <summary>Runs <paramref name="use"/> on a fresh page of headless chromium, collecting the page's console errors.</summary>
    private static async Task InChromiumAsync(Func<IPage, List<string>, Task> use)
    {
        var (playwright, context, profile) = await Chromium.LaunchAsync();
        try
        {
            IPage page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            var consoleErrors = new List<string>();
            page.Console += (_, message) => { if (message.Type == "error") { consoleErrors.Add($"{message.Text} ({message.Location})"); } };
            page.SetDefaultTimeout(60_000);
            await use(page, consoleErrors);
        }
        finally
        {
            await context.DisposeAsync();
            playwright.Dispose();
            Directory.Delete(profile, recursive: true);
        }
    }

    private static async Task<double[]> MetricColumnAsync(IPage page)
    {
        string[] cells = await page.EvalOnSelectorAllAsync<string[]>("#trials tr", "rows => rows.map(row => row.children[2].textContent)");
        return [.. cells.Select(cell => double.Parse(cell, System.Globalization.CultureInfo.InvariantCulture))];
    }

    private static async Task<(int Points, string State)> PointsAsync(IPage page)
    {
        var snapshot = await page.EvaluateAsync<JsonElement>("() => ({ points: Number(document.getElementById('loss-chart').dataset.points), state: document.body.dataset.state })");
        return (snapshot.GetProperty("points").GetInt32(), snapshot.GetProperty("state").GetString()!);
    }
}
