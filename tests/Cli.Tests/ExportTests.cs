using System.Net;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Tests;

/// <summary>`dtrain export` writes {run}.pt and {run}.json from the model routes, and explains a missing route or model.</summary>
public sealed class ExportTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dtrain-export-tests", Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Export_WritesTheStateDictAndTheSpecNamedAfterTheRun()
    {
        byte[] model = [0x50, 0x4B, 0x03, 0x04, 1, 2, 3];
        var server = new FakeServer(request => request.Uri.AbsolutePath.EndsWith("/model", StringComparison.Ordinal)
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(model) }
            : FakeServer.Json(HttpStatusCode.OK, """{"format":"durabletrainer-model/2","model":"mlp","parameters":{"hiddenUnits":256}}"""));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "export", "run-1", "-o", _directory, "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(model, await File.ReadAllBytesAsync(Path.Combine(_directory, "run-1.pt")));
        Assert.Equal("""{"format":"durabletrainer-model/2","model":"mlp","parameters":{"hiddenUnits":256}}""", await File.ReadAllTextAsync(Path.Combine(_directory, "run-1.json")));
        Assert.Equal(["/api/training/run-1/model", "/api/training/run-1/model/spec"], server.Requests.Select(r => r.Uri.AbsolutePath).ToArray());
        Assert.Empty(Directory.GetFiles(_directory, "*.partial"));
    }

    [Theory]
    [InlineData("torchscript", "run-1.pt")]
    [InlineData("safetensors", "run-1.safetensors")]
    [InlineData("onnx", "run-1.onnx")]
    public async Task Export_WithAFormat_AsksTheServerForItAndNamesTheFileAfterIt(string format, string file)
    {
        byte[] model = [1, 2, 3];
        var server = new FakeServer(request => request.Uri.AbsolutePath.EndsWith("/model", StringComparison.Ordinal)
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(model) }
            : FakeServer.Json(HttpStatusCode.OK, """{"format":"durabletrainer-model/2","model":"torchscript"}"""));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "export", "run-1", "--format", format, "-o", _directory, "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(model, await File.ReadAllBytesAsync(Path.Combine(_directory, file)));
        Assert.Equal($"?format={format}", server.Requests[0].Uri.Query);
    }

    [Fact]
    public async Task Export_WithAnUnknownFormat_IsAUsageErrorNamingTheChoices()
    {
        DtrainRun run = await DtrainRun.InvokeAsync(new FakeServer(_ => FakeServer.Empty(HttpStatusCode.OK)), "export", "run-1", "--format", "keras", "-o", _directory, "--server", FakeServer.Address);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("torchscript", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task Export_WhenTheServerHasNoModelRoute_SaysSoAndWritesNothing()
    {
        var server = new FakeServer(request => request.Uri.AbsolutePath.EndsWith("/model", StringComparison.Ordinal)
            ? FakeServer.Empty(HttpStatusCode.NotFound)
            : FakeServer.Json(HttpStatusCode.OK, Statuses.Summary("run-1", "Completed", "Completed", 0.9)));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "export", "run-1", "-o", _directory, "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Equal($"The server at {FakeServer.Address} has no model export route (GET /api/training/run-1/model); it needs a worker with model export.", run.Error.Trim());
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task Export_OfARunWithoutAFinalCheckpoint_409_SaysToWaitForIt()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.Conflict,
            """{"title":"The run has no final checkpoint yet.","status":409,"detail":"Run 'run-1' is Running."}""", "application/problem+json"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "export", "run-1", "-o", _directory, "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Equal("Run 'run-1' has no final model yet (Run 'run-1' is Running.). Wait for it to end with `dtrain watch run-1`, then try again.", run.Error.Trim());
    }

    [Fact]
    public async Task Export_OfAnUnknownRun_IsNotFound()
    {
        var server = new FakeServer(_ => FakeServer.UnknownRun("ghost"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "export", "ghost", "-o", _directory, "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.StartsWith("No run 'ghost'", run.Error, StringComparison.Ordinal);
    }
}
