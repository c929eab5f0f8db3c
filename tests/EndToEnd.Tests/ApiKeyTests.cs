using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>A worker started with an API key.</summary>
public sealed class KeyedWorkerFixture : WorkerFixture
{
    public const string Key = "test-key-7f3a";

    protected override IReadOnlyDictionary<string, string> WorkerSettings { get; } =
        new Dictionary<string, string>(Settings) { ["Security__ApiKey"] = Key };
}

/// <summary>A worker started with an API key checks it on every route, management URLs included.</summary>
public sealed class ApiKeyTests(KeyedWorkerFixture fixture) : IClassFixture<KeyedWorkerFixture>
{
    [Theory]
    [InlineData("GET", "/api/health")]
    [InlineData("GET", "/api/training")]
    [InlineData("POST", "/api/training")]
    [InlineData("GET", "/api/training/some-run")]
    [InlineData("GET", "/runtime/webhooks/durabletask/instances/some-run")]
    [InlineData("POST", "/runtime/webhooks/durabletask/instances/some-run/terminate")]
    public async Task EveryRoute_WithoutTheKeyOrWithAWrongOne_Answers401(string method, string path)
    {
        using var http = new HttpClient { BaseAddress = fixture.Worker.BaseAddress };
        using var bare = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        using HttpResponseMessage without = await http.SendAsync(bare);
        using var wrong = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        wrong.Headers.Add("x-api-key", "guess");
        using HttpResponseMessage withWrong = await http.SendAsync(wrong);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withWrong.StatusCode);
    }

    [Fact]
    public async Task WithTheKey_ARunStartsAndItsManagementUrlsCarryTheKey()
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            """{"runId":"keyed-run","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":10},"execution":{"stepsPerChunk":10}}""");

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        string statusUri = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("statusQueryGetUri").GetString()!;
        Assert.Contains("code=" + KeyedWorkerFixture.Key, statusUri, StringComparison.Ordinal);
        using var anonymous = new HttpClient();
        using HttpResponseMessage status = await anonymous.GetAsync(new Uri(statusUri));
        Assert.True(status.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, status.StatusCode.ToString());
    }

    [Fact]
    public async Task FunctionsKeyHeader_IsAcceptedLikeTheApiKeyHeader()
    {
        using var http = new HttpClient { BaseAddress = fixture.Worker.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/training", UriKind.Relative));
        request.Headers.Add("x-functions-key", KeyedWorkerFixture.Key);

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Dtrain_WithAWrongKey_SaysTheServerRefusedItAndExits7_AndWithTheRightKeyFromTheEnvironmentWorks()
    {
        string server = fixture.Worker.BaseAddress.ToString().TrimEnd('/');

        DtrainProcess wrong = await DtrainProcess.RunAsync("list", "--server", server, "--key", "guess");
        DtrainProcess none = await DtrainProcess.RunAsync("status", "some-run", "--server", server);
        DtrainProcess right = await DtrainProcess.RunAsync(new Dictionary<string, string> { ["DTRAIN_SERVER"] = server, ["DTRAIN_KEY"] = KeyedWorkerFixture.Key }, "list");

        Assert.True(wrong.ExitCode == 7, wrong.ToString());
        Assert.StartsWith("The server refused the key; pass --key or set DTRAIN_KEY.", wrong.Error, StringComparison.Ordinal);
        Assert.True(none.ExitCode == 7, none.ToString());
        Assert.True(right.ExitCode == 0, right.ToString());
    }
}
