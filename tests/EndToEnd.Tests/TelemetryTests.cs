using System.Net;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>A worker with OpenTelemetry switched on by configuration, exporting to its console (its log file).</summary>
public sealed class TelemetryWorkerFixture : WorkerFixture
{
    protected override IReadOnlyDictionary<string, string> WorkerSettings { get; } =
        new Dictionary<string, string>(Settings)
        {
            ["OpenTelemetry__Enabled"] = "true",
            ["OpenTelemetry__Exporter"] = "console",
            // The SDK's standard setting: export metrics every second rather than every minute.
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        };

    public string LogPath => Path.Combine(Azurite.WorkDirectory, "worker.log");
}

public sealed class TelemetryTests(TelemetryWorkerFixture fixture) : IClassFixture<TelemetryWorkerFixture>
{
    [Fact]
    public async Task WithOpenTelemetryOn_ARunLeavesSpansMetricsAndScopedLogsNamingIt()
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            """{"runId":"e2e-otel","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":30},"execution":{"stepsPerChunk":15}}""");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        await StatusPolling.UntilAsync(fixture.Http, "/api/training/e2e-otel", summary => summary.GetProperty("runtimeStatus").GetString() == "Completed", TimeSpan.FromMinutes(2));

        string log = await ReadLogUntilAsync(text => text.Contains("durabletrainer.training.steps", StringComparison.Ordinal));

        Assert.Contains("Activity.DisplayName:        RunChunk", log, StringComparison.Ordinal);
        Assert.Contains("durabletrainer.run_id: e2e-otel", log, StringComparison.Ordinal);
        Assert.Contains("durabletrainer.training.steps", log, StringComparison.Ordinal);
        Assert.Contains("RunId:e2e-otel", log, StringComparison.Ordinal);
    }

    private async Task<string> ReadLogUntilAsync(Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string text = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            await using (var stream = new FileStream(fixture.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var reader = new StreamReader(stream))
            {
                text = await reader.ReadToEndAsync();
            }

            if (done(text))
            {
                return text;
            }

            await Task.Delay(500);
        }

        return text;
    }
}
