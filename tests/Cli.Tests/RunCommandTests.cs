using System.Net;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Tests;

/// <summary>stop, suspend, resume, status and list call the routes both hosts serve and print what happened.</summary>
public sealed class RunCommandTests
{
    private static FakeServer Accepting() => new(_ => FakeServer.Empty(HttpStatusCode.Accepted));

    [Theory]
    [InlineData("stop", "/api/training/run-1/stop")]
    [InlineData("suspend", "/runtime/webhooks/durabletask/instances/run-1/suspend")]
    [InlineData("resume", "/runtime/webhooks/durabletask/instances/run-1/resume")]
    public async Task ControlCommands_PostToTheExistingRoutes(string command, string path)
    {
        FakeServer server = Accepting();

        DtrainRun run = await DtrainRun.InvokeAsync(server, command, "run-1", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        SeenRequest request = Assert.Single(server.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(path, request.Uri.AbsolutePath);
        Assert.Contains("run-1", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suspend_WithAReason_SendsItInTheQuery()
    {
        FakeServer server = Accepting();

        await DtrainRun.InvokeAsync(server, "suspend", "run-1", "--reason", "lunch break", "--server", FakeServer.Address);

        Assert.Equal("?reason=lunch%20break", Assert.Single(server.Requests).Uri.Query);
    }

    [Fact]
    public async Task Stop_OfAnUnknownRun_IsNotFound()
    {
        var server = new FakeServer(_ => FakeServer.UnknownRun("ghost"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "stop", "ghost", "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.StartsWith("No run 'ghost'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_PrintsTheSummaryAsLabelledLines()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, Statuses.Summary("run-1", "Running", accuracy: 0.81)));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "status", "run-1", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Run:              run-1", run.OutLines);
        Assert.Contains("Status:           Running (Training)", run.OutLines);
        Assert.Contains("Progress:         step 20 of 40 (50.0%)", run.OutLines);
        Assert.Contains("Last validation:  accuracy 0.8100, loss 0.6000 at step 20", run.OutLines);
    }

    [Fact]
    public async Task List_PrintsAlignedColumnsNewestFirst()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK,
            $"[{Statuses.Summary("run-new", "Running")},{Statuses.Summary("run-old", "Completed", "Completed", 0.9)}]"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "list", "--top", "5", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("?top=5", Assert.Single(server.Requests).Uri.Query);
        Assert.StartsWith("RUN      STATUS     OUTCOME    PROGRESS  STEP  METRIC                CREATED (UTC)", run.OutLines[0], StringComparison.Ordinal);
        Assert.StartsWith("run-new  Running    -", run.OutLines[1], StringComparison.Ordinal);
        Assert.StartsWith("run-old  Completed  Completed  50.0%     20    test accuracy 0.8800  2026-11-28 22:00:00", run.OutLines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_WithTopOutOfRange_IsAUsageError()
    {
        DtrainRun run = await DtrainRun.InvokeAsync(Accepting(), "list", "--top", "0", "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }
}
