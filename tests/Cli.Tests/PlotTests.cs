using System.Buffers.Binary;
using System.Net;
using DurableTrainer.Cli.Commands;
using DurableTrainer.Cli.Plotting;
using SkiaSharp;

namespace DurableTrainer.Cli.Tests;

/// <summary>Metrics records are read tolerantly and plotted to a real PNG; a server without the metrics route still gets a plot or a clear sentence.</summary>
public sealed class PlotTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "metrics.json");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dtrain-plot-tests", Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Checks the PNG signature and IHDR size, then decodes it and checks it is not blank.</summary>
    internal static void AssertValidPng(string path, int width, int height)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes is too small for a plot");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using SKBitmap bitmap = SKBitmap.Decode(bytes);
        Assert.Equal(width, bitmap.Width);
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 7)
        {
            for (int x = 0; x < bitmap.Width; x += 7)
            {
                colours.Add((uint)bitmap.GetPixel(x, y));
            }
        }

        Assert.True(colours.Count > 20, $"only {colours.Count} colours: the image looks blank");
    }

    [Fact]
    public void Parse_ReadsEveryKnownKind_AndIgnoresUnknownKindsFieldsAndRecordsWithoutAStep()
    {
        RunMetrics metrics = RunMetrics.Parse(File.ReadAllText(Fixture), "ignored");

        Assert.Equal("fixture-run", metrics.RunId);
        Assert.Equal(562, metrics.StepLosses.Count);
        Assert.Equal(12, metrics.ChunkLosses.Count);
        Assert.Equal(6, metrics.Evaluations.Count);
        Assert.Equal([("rollback", 1250L), ("learningRate", 2000L)], metrics.Events.Select(e => (e.Kind, e.Step)).ToArray());
        Assert.DoesNotContain(metrics.StepLosses, point => point.Loss == 9.9);
        Assert.Equal(metrics.StepLosses.OrderBy(p => p.Step), metrics.StepLosses);
    }

    [Fact]
    public void Parse_AveragesReplicasReportingTheSameStep()
    {
        RunMetrics metrics = RunMetrics.Parse("""
            {"runId":"r","records":[
              {"kind":"chunk","step":100,"replica":0,"loss":1.0},{"kind":"chunk","step":100,"replica":1,"loss":2.0},
              {"kind":"evaluation","step":100,"accuracy":0.5},{"kind":"step","step":"oops","loss":1}]}
            """, "r");

        Assert.Equal(new LossPoint(100, 1.5), Assert.Single(metrics.ChunkLosses));
        Assert.True(double.IsNaN(Assert.Single(metrics.Evaluations).Loss));
        Assert.Empty(metrics.StepLosses);
    }

    [Fact]
    public async Task Plot_FromTheMetricsRoute_WritesAValidPng()
    {
        string json = await File.ReadAllTextAsync(Fixture);
        var server = new FakeServer(request => FakeServer.Json(HttpStatusCode.OK, json));
        string png = Path.Combine(_directory, "curves.png");

        DtrainRun run = await DtrainRun.InvokeAsync(server, "plot", "fixture-run", "-o", png, "--width", "900", "--height", "500", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("/api/training/fixture-run/metrics", Assert.Single(server.Requests).Uri.AbsolutePath);
        AssertValidPng(png, 900, 500);
        Assert.Contains("562 step losses, 12 chunk means, 6 evaluations", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plot_FromASavedMetricsFile_NeedsNoServer()
    {
        string png = Path.Combine(_directory, "from-file.png");

        DtrainRun run = await DtrainRun.InvokeAsync(null, "plot", "fixture-run", "-o", png, "--metrics-file", Fixture);

        Assert.Equal(0, run.ExitCode);
        AssertValidPng(png, 1200, 700);
    }

    [Fact]
    public async Task Plot_WhenTheServerHasNoMetricsRoute_PlotsTheSummaryEvaluationsAndSaysSo()
    {
        var server = new FakeServer(request => request.Uri.AbsolutePath.EndsWith("/metrics", StringComparison.Ordinal)
            ? FakeServer.Empty(HttpStatusCode.NotFound)
            : FakeServer.Json(HttpStatusCode.OK, Statuses.Summary("run-1", "Running", accuracy: 0.8)));
        string png = Path.Combine(_directory, "fallback.png");

        DtrainRun run = await DtrainRun.InvokeAsync(server, "plot", "run-1", "-o", png, "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith($"The server at {FakeServer.Address} has no metrics route (GET /api/training/run-1/metrics; newer workers have it), so the plot shows only the 2 evaluation(s)", run.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(png));
    }

    [Fact]
    public async Task Plot_WhenTheServerHasNoMetricsRouteAndNoEvaluations_SaysThereIsNothingToPlot()
    {
        var server = new FakeServer(request => request.Uri.AbsolutePath.EndsWith("/metrics", StringComparison.Ordinal)
            ? FakeServer.Empty(HttpStatusCode.NotFound)
            : FakeServer.Json(HttpStatusCode.OK, Statuses.Summary("run-1", "Running")));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "plot", "run-1", "-o", Path.Combine(_directory, "none.png"), "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Contains("has no metrics route", run.Error, StringComparison.Ordinal);
        Assert.Contains("nothing to plot", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plot_OfAnUnknownRun_IsNotFound()
    {
        var server = new FakeServer(_ => FakeServer.UnknownRun("ghost"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "plot", "ghost", "-o", Path.Combine(_directory, "ghost.png"), "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.StartsWith("No run 'ghost'", run.Error, StringComparison.Ordinal);
    }
}
