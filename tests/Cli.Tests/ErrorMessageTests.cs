using System.Net;
using System.Net.Sockets;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Tests;

/// <summary>Every failure a user can cause or meet reads as a sentence with the fix in it, with its documented exit code, and no stack trace.</summary>
public sealed class ErrorMessageTests
{
    private static void AssertNoStackTrace(DtrainRun run)
    {
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRun_404_SaysNoSuchRunAndPointsToList()
    {
        var server = new FakeServer(_ => FakeServer.UnknownRun("nope"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "status", "nope", "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Equal($"No run 'nope' on the server at {FakeServer.Address}. `dtrain list` shows the runs it has.", run.Error.Trim());
        AssertNoStackTrace(run);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task RefusedKey_401Or403_SaysPassKeyOrSetDtrainKey(HttpStatusCode status)
    {
        var server = new FakeServer(_ => FakeServer.Json(status, """{"title":"An API key is required.","status":401}"""));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "list", "--server", FakeServer.Address, "--key", "wrong");

        Assert.Equal(ExitCodes.KeyRefused, run.ExitCode);
        Assert.StartsWith("The server refused the key; pass --key or set DTRAIN_KEY.", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task ConnectionRefused_SaysItCouldNotReachTheServerAndHowToStartOne()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        // A real socket to a port nothing listens on: the refusal is the operating system's, not a fake.
        DtrainRun run = await DtrainRun.InvokeAsync(null, "list", "--server", $"http://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Equal($"Could not reach the DurableTrainer server at http://127.0.0.1:{port}. Start it with `dtrain up` or `dtrain train`, or pass --server.", run.Error.Trim());
    }

    [Fact]
    public async Task ConnectionRefused_FromTheHandler_IsTheSameSentence()
    {
        var server = new FakeServer(_ => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused)));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "watch", "some-run", "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.StartsWith($"Could not reach the DurableTrainer server at {FakeServer.Address}.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidationProblem_400_ListsEachFieldAndRule()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.BadRequest, """
            {"type":"https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.1","title":"The training request is not valid.","status":400,
             "detail":"optimizer.learningRate: must be a finite number greater than 0 and at most 10; training.epochs: must be between 1 and 1000",
             "errors":{"optimizer.learningRate":["must be a finite number greater than 0 and at most 10"],"training.epochs":["must be between 1 and 1000"]}}
            """, "application/problem+json"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--learning-rate", "50", "--epochs", "0");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("The server rejected the request (400): The training request is not valid.", lines[0]);
        Assert.Equal("  optimizer.learningRate: must be a finite number greater than 0 and at most 10", lines[1]);
        Assert.Equal("  training.epochs: must be between 1 and 1000", lines[2]);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task ExistingRunId_409_IsARejectionWithTheServersTitle()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.Conflict,
            """{"title":"The run already exists.","status":409,"detail":"runId: already exists","errors":{"runId":["already exists"]}}"""));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "start", "--server", FakeServer.Address, "--run-id", "taken");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Contains("The run already exists.", run.Error, StringComparison.Ordinal);
        Assert.Contains("  runId: already exists", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerError_500_IsReportedWithoutAStackTrace()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.InternalServerError, "boom"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "status", "r1", "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.StartsWith($"The server at {FakeServer.Address} failed (500): boom.", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task BadServerUrl_IsAUsageError()
    {
        DtrainRun run = await DtrainRun.InvokeAsync(null, "list", "--server", "not a url");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("--server must be an absolute http or https URL", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_IsSentInBothHostsHeaders_AndNeverInTheUrl()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "[]"));

        await DtrainRun.InvokeAsync(server, "list", "--server", FakeServer.Address, "--key", "s3cret");

        SeenRequest request = Assert.Single(server.Requests);
        Assert.Equal("s3cret", request.Headers["x-api-key"]);
        Assert.Equal("s3cret", request.Headers["x-functions-key"]);
        Assert.DoesNotContain("s3cret", request.Uri.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerAndKey_ComeFromTheEnvironmentWhenNotGiven()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "[]"));
        var environment = new Dictionary<string, string> { ["DTRAIN_SERVER"] = "http://env.test:9000", ["DTRAIN_KEY"] = "from-env" };

        DtrainRun run = await DtrainRun.InvokeAsync(server, environment, "list");

        Assert.Equal(0, run.ExitCode);
        SeenRequest request = Assert.Single(server.Requests);
        Assert.Equal(new Uri("http://env.test:9000/api/training?top=20"), request.Uri);
        Assert.Equal("from-env", request.Headers["x-functions-key"]);
    }

    [Fact]
    public async Task WithoutAKey_NoKeyHeaderIsSent_AndTheDefaultServerIsUsed()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "[]"));

        await DtrainRun.InvokeAsync(server, "list");

        SeenRequest request = Assert.Single(server.Requests);
        Assert.False(request.Headers.ContainsKey("x-api-key"));
        Assert.Equal(new Uri("http://127.0.0.1:7071/api/training?top=20"), request.Uri);
    }

    [Fact]
    public async Task FunctionsAppUrlWithAPath_KeepsThePath()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "[]"));

        await DtrainRun.InvokeAsync(server, "list", "--server", "https://my-app.azurewebsites.net/prefix");

        Assert.Equal(new Uri("https://my-app.azurewebsites.net/prefix/api/training?top=20"), Assert.Single(server.Requests).Uri);
    }

    [Fact]
    public async Task UnknownSweep_404_SaysNoSuchSweepAndPointsToTheSweepList()
    {
        var server = new FakeServer(_ => FakeServer.Json(System.Net.HttpStatusCode.NotFound,
            """{"title":"No such sweep.","status":404,"detail":"No sweep with id 'nope' exists."}""", "application/problem+json"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "sweep", "status", "nope", "--server", FakeServer.Address);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Contains("No sweep 'nope' on the server at", run.Error, StringComparison.Ordinal);
        Assert.Contains("`dtrain sweep list`", run.Error, StringComparison.Ordinal);
    }
}
