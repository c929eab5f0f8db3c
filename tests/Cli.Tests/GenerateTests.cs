using System.Net;
using System.Text.Json;

namespace DurableTrainer.Cli.Tests;

/// <summary>`dtrain generate` sends the prompt and sampling options, and prints only the text (or one JSON object) on standard output.</summary>
public sealed class GenerateTests
{
    private const string Answer = """{"run":"bard","checkpoint":"bard/round-000002/merged","prompt":"ROMEO:","text":" Good morrow.\nJULIET:","tokens":[1,2,3],"promptTokens":6,"seed":3}""";

    [Fact]
    public async Task Generate_PostsThePromptAndOptions_AndPrintsTheTextAlone()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, Answer));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "generate", "bard", "--prompt", "ROMEO:", "--max-tokens", "40", "--temperature", "0.8", "--top-k", "20", "--seed", "3", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(" Good morrow.\nJULIET:\n", run.Out);
        SeenRequest request = Assert.Single(server.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/training/bard/generate", request.Uri.AbsolutePath);
        using JsonDocument body = JsonDocument.Parse(request.Body);
        Assert.Equal("ROMEO:", body.RootElement.GetProperty("prompt").GetString());
        Assert.Equal(40, body.RootElement.GetProperty("maxTokens").GetInt32());
        Assert.Equal(0.8, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(20, body.RootElement.GetProperty("topK").GetInt32());
        Assert.Equal(3, body.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal("final", body.RootElement.GetProperty("checkpoint").GetString());
    }

    [Fact]
    public async Task Generate_WithJson_PrintsOneObjectWithTheTextAndTokens()
    {
        DtrainRun run = await DtrainRun.InvokeAsync(new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, Answer)), "generate", "bard", "--prompt", "ROMEO:", "--json", "--server", FakeServer.Address);

        Assert.Equal(0, run.ExitCode);
        using JsonDocument line = JsonDocument.Parse(Assert.Single(run.OutLines));
        Assert.Equal(" Good morrow.\nJULIET:", line.RootElement.GetProperty("text").GetString());
        Assert.Equal(3, line.RootElement.GetProperty("tokens").GetArrayLength());
    }

    [Fact]
    public async Task Generate_WithAPromptTheVocabularyLacks_ExitsWithTheServersReasonOnStandardError()
    {
        var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.BadRequest,
            """{"title":"One or more validation errors occurred.","status":400,"errors":{"prompt":["the character 'Z' (U+005A) at offset 0 is not in the run's vocabulary of 64 characters"]}}""",
            "application/problem+json"));

        DtrainRun run = await DtrainRun.InvokeAsync(server, "generate", "bard", "--prompt", "Zed", "--server", FakeServer.Address);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Empty(run.Out);
        Assert.Contains("prompt", run.Error, StringComparison.Ordinal);
        Assert.Contains("U+005A", run.Error, StringComparison.Ordinal);
    }
}
