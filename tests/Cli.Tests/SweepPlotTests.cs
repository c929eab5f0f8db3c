using System.Net;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Plotting;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Cli.Tests;

/// <summary><c>dtrain sweep plot</c>: each started trial's evaluations from the metrics route, drawn to a real PNG.</summary>
public sealed class SweepPlotTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dtrain-sweep-plot-tests", Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static SweepTrialView Trial(int index, string status, double learningRate) => new(
        index, RunId.Parse($"s1-t{index:000}"), new Dictionary<string, JsonElement> { ["optimizer.learningRate"] = JsonSerializer.SerializeToElement(learningRate) },
        status, status == "Stopped" ? 100 : 400, 400, 1, 0.8, status == "Stopped" ? "stopped by ASHA at rung 1" : null);

    private static string Metrics(string runId, params (long Step, double Accuracy)[] evaluations) => JsonSerializer.Serialize(new
    {
        runId,
        records = evaluations.Select(e => (object)new { kind = "evaluation", step = e.Step, accuracy = e.Accuracy, loss = 1 - e.Accuracy })
            .Append(new { kind = "stop", step = evaluations[^1].Step, status = "Completed" }),
        cursor = 100,
    });

    [Fact]
    public void TrialCurve_KeepsOnlyEvaluationsWithAFiniteValueOfTheSweepsMetric()
    {
        const string Json = """
            {"records":[{"kind":"step","step":1,"accuracy":0.1},{"kind":"evaluation","step":200,"accuracy":0.7},
              {"kind":"evaluation","step":100,"accuracy":0.5},{"kind":"evaluation","step":300,"loss":0.2},{"kind":"evaluation","step":"x","accuracy":0.9}]}
            """;

        Assert.Equal([(100L, 0.5), (200L, 0.7)], TrialCurve.Read(Json, "accuracy"));
        Assert.Equal([(300L, 0.2)], TrialCurve.Read(Json, "loss"));
        Assert.Throws<JsonException>(() => TrialCurve.Read("[1,2]", "accuracy"));
    }

    [Fact]
    public async Task SweepPlot_FetchesEachStartedTrialsEvaluations_AndWritesAValidPng()
    {
        SweepTrialView[] trials = [Trial(0, "Completed", 0.001), Trial(1, "Stopped", 0.1), Trial(2, "NotStarted", 0.01)];
        var sweep = new SweepRecord("s1", "Completed", "accuracy", "max", "asha", [100, 200], 2, null, 500, 500, trials, 0);
        string status = JsonSerializer.Serialize(new SweepStatusView("s1", InstanceRuntimeStatus.Completed, DateTime.UnixEpoch, DateTime.UnixEpoch, sweep, trials[0]), JsonSerializerOptions.Web);
        var server = new FakeServer(request => request.Uri.AbsolutePath switch
        {
            "/api/sweeps/s1" => FakeServer.Json(HttpStatusCode.OK, status),
            "/api/training/s1-t000/metrics" => FakeServer.Json(HttpStatusCode.OK, Metrics("s1-t000", (100, 0.6), (200, 0.7), (400, 0.8))),
            "/api/training/s1-t001/metrics" => FakeServer.Json(HttpStatusCode.OK, Metrics("s1-t001", (100, 0.3))),
            _ => FakeServer.Json(HttpStatusCode.NotFound, """{"title":"No such run.","status":404}""", "application/problem+json"),
        });
        string png = Path.Combine(_directory, "sweep.png");

        DtrainRun run = await DtrainRun.InvokeAsync(server, "sweep", "plot", "s1", "-o", png, "--width", "1000", "--height", "600", "--server", FakeServer.Address);

        Assert.True(run.ExitCode == 0, run.Error);
        PlotTests.AssertValidPng(png, 1000, 600);
        Assert.Contains("2 trial curve(s), 4 evaluations of accuracy, 1 trial(s) stopped early", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Requests, request => request.Uri.AbsolutePath.Contains("s1-t002", StringComparison.Ordinal));
        Assert.All(server.Requests.Where(request => request.Uri.AbsolutePath.EndsWith("/metrics", StringComparison.Ordinal)),
            request => Assert.Equal("?kind=evaluation", request.Uri.Query));
    }

    [Fact]
    public async Task SweepPlot_OfAnUnknownSweep_SaysSoAndWritesNothing()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.NotFound, """{"title":"No such sweep.","status":404,"detail":"No sweep with id 'nope' exists."}""", "application/problem+json"));
        string png = Path.Combine(_directory, "none.png");

        DtrainRun run = await DtrainRun.InvokeAsync(server, "sweep", "plot", "nope", "-o", png, "--server", FakeServer.Address);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("No sweep 'nope'", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(png));
    }
}
