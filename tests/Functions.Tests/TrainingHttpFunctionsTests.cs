using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace DurableTrainer.Functions.Tests;

public class TrainingHttpFunctionsTests
{
    private readonly RecordingDurableTaskClient _client = new();
    private readonly TrainingHttpFunctions _functions = new(TimeProvider.System, new NoExports());

    private static HttpRequest Request(string method, string body = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("trainer.example");
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return context.Request;
    }

    private static (int Status, JsonElement Body) Read(IActionResult result)
    {
        var content = Assert.IsType<ContentResult>(result);
        return (content.StatusCode!.Value, JsonDocument.Parse(content.Content!).RootElement);
    }

    [Theory]
    [InlineData("{\"batchSize\":0}", "batchSize")]
    [InlineData("{\"optimizer\":\"lbfgs\"}", "optimizer")]
    [InlineData("{\"runId\":\"../secret\"}", "runId")]
    [InlineData("{oops", "body")]
    [InlineData("{\"extra\":1}", "extra")]
    public async Task Start_WithBadInput_Answers400NamingTheFieldAndSchedulesNothing(string body, string field)
    {
        var (status, problem) = Read(await _functions.Start(Request("POST", body), _client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty(_client.Scheduled);
    }

    [Fact]
    public async Task Start_WithGoodInput_Answers202WithEveryManagementUrlAndSchedulesTheNormalizedRun()
    {
        HttpRequest request = Request("POST", "{\"runId\":\"fn-run\",\"model\":\"mlp\",\"epochs\":1}");

        var (status, payload) = Read(await _functions.Start(request, _client, CancellationToken.None));

        Assert.Equal(202, status);
        Assert.Equal("fn-run", payload.GetProperty("id").GetString());
        foreach (string url in new[] { "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri", "resumePostUri" })
        {
            Assert.StartsWith("https://trainer.example/runtime/webhooks/durabletask/instances/fn-run", payload.GetProperty(url).GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(payload.GetProperty("statusQueryGetUri").GetString(), request.HttpContext.Response.Headers.Location.ToString());
        var scheduled = Assert.Single(_client.Scheduled);
        Assert.Equal("Training", scheduled.Name.Name);
        Assert.Equal("fn-run", scheduled.InstanceId);
        var input = Assert.IsType<TrainingRunInput>(scheduled.Input);
        Assert.Equal("mlp", input.Request.Model);
        Assert.Equal(64, input.Request.BatchSize);
    }

    [Fact]
    public async Task Start_WithAnExistingRunId_Answers409()
    {
        await _functions.Start(Request("POST", "{\"runId\":\"twice\"}"), _client, CancellationToken.None);

        var (status, _) = Read(await _functions.Start(Request("POST", "{\"runId\":\"twice\"}"), _client, CancellationToken.None));

        Assert.Equal(409, status);
        Assert.Single(_client.Scheduled);
    }

    [Fact]
    public async Task Get_UnknownRun_Answers404()
    {
        var (status, _) = Read(await _functions.Get(Request("GET"), "nobody", _client, CancellationToken.None));

        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Stop_KnownRun_RaisesTheStopEvent()
    {
        await _functions.Start(Request("POST", "{\"runId\":\"to-stop\"}"), _client, CancellationToken.None);

        IActionResult result = await _functions.Stop(Request("POST"), "to-stop", _client, CancellationToken.None);

        Assert.Equal(202, Assert.IsType<StatusCodeResult>(result).StatusCode);
        Assert.Equal(("to-stop", "stop"), (_client.RaisedEvents.Single().InstanceId, _client.RaisedEvents.Single().EventName));
    }

    [Fact]
    public async Task List_ReturnsSummariesOfKnownRuns()
    {
        await _functions.Start(Request("POST", "{\"runId\":\"listed\"}"), _client, CancellationToken.None);
        HttpRequest request = Request("GET");

        var (status, runs) = Read(await _functions.List(request, _client, CancellationToken.None));

        Assert.Equal(200, status);
        Assert.Equal("listed", runs.EnumerateArray().Single().GetProperty("runId").GetString());
    }
}
