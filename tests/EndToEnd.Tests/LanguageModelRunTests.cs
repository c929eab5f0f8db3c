using System.Net;
using System.Text;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// A character-level GPT through the durable engine on a real worker and Azurite: a text uploaded to the dataset
/// store, a run whose worker is SIGKILLed after its first chunk ending bitwise where an uninterrupted run ends (with
/// dropout, so the attention's masks must come back too), then generation from the run: the same seed gives the same
/// text, another seed another, and a prompt the vocabulary cannot read is refused naming the character.
/// </summary>
public sealed class LanguageModelRunTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    /// <summary>Lines of words from a small list in a seeded order: about 20 KB with structure to learn.</summary>
    private static string Verse()
    {
        string[] words = ["when", "the", "sun", "doth", "rise", "upon", "our", "little", "town", "we", "sing", "and", "play"];
        var random = new Random(17);
        var text = new StringBuilder();
        while (text.Length < 20_000)
        {
            int count = 3 + random.Next(5);
            text.AppendJoin(' ', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)])).Append(".\n");
        }

        return text.ToString();
    }

    [Fact]
    public async Task ACharGpt_KilledAfterItsFirstChunk_EndsBitwiseAsAnUninterruptedRun_AndGeneratesDeterministically()
    {
        using (HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/verse/town.txt", UriKind.Relative), Encoding.UTF8.GetBytes(Verse())))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        string whole = await StartAsync(fixture.Http, "gpt-whole", stepsPerChunk: 200);
        (JsonElement done, _) = await ResumeAcrossAKill.FinishSplitRunInANewProcessAsync(
            fixture, whole, attempt => StartAsync(fixture.Http, $"gpt-split-{attempt}", stepsPerChunk: 30), step: 30, "gpt-replacement.log");
        string split = done.GetProperty("instanceId").GetString()!;

        JsonElement test = done.GetProperty("output").GetProperty("testEvaluation");
        double loss = test.GetProperty("loss").GetDouble();
        Assert.Equal(Math.Exp(loss), test.GetProperty("perplexity").GetDouble(), 6);
        // The text's 19 symbols and the unknown token cost ln 20 = 3.0 nats uniformly; 120 steps learn much of the words.
        Assert.InRange(loss, 0, 2.6);

        HttpClient http = fixture.Http;
        JsonElement first = await GenerateAsync(http, split, """{"prompt":"when the ","maxTokens":60,"temperature":0.8,"topK":10,"seed":5}""");
        JsonElement again = await GenerateAsync(http, split, """{"prompt":"when the ","maxTokens":60,"temperature":0.8,"topK":10,"seed":5}""");
        JsonElement other = await GenerateAsync(http, split, """{"prompt":"when the ","maxTokens":60,"temperature":0.8,"topK":10,"seed":6}""");
        string text = first.GetProperty("text").GetString()!;
        Assert.Equal(text, again.GetProperty("text").GetString());
        Assert.NotEqual(text, other.GetProperty("text").GetString());
        Assert.Equal(60, first.GetProperty("tokens").GetArrayLength());
        Assert.Equal(9, first.GetProperty("promptTokens").GetInt32());
        Assert.Equal(60, text.Length);

        using HttpResponseMessage refused = await http.PostJsonAsync(new Uri($"/api/training/{split}/generate", UriKind.Relative), """{"prompt":"when Zeus"}""");
        string problem = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, problem);
        string rule = JsonDocument.Parse(problem).RootElement.GetProperty("errors").GetProperty("prompt")[0].GetString()!;
        Assert.Contains("'Z' (U+005A) at offset 5", rule, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> GenerateAsync(HttpClient http, string runId, string body)
    {
        using HttpResponseMessage response = await http.PostJsonAsync(new Uri($"/api/training/{runId}/generate", UriKind.Relative), body);
        string answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        return JsonDocument.Parse(answer).RootElement.Clone();
    }

    private static async Task<string> StartAsync(HttpClient http, string runId, int stepsPerChunk)
    {
        string body = $$"""
            {"runId":"{{runId}}",
             "data":{"source":"verse/town.txt","task":"language-model","tokenizer":"char","contextLength":32},
             "model":{"architecture":"gpt","parameters":{"layers":1,"heads":2,"embedding":32,"dropout":0.1} },
             "optimizer":{"name":"adamw","learningRate":0.003},
             "training":{"maxSteps":120,"batchSize":8,"seed":11},
             "evaluation":{"intervalSteps":100000},
             "execution":{"stepsPerChunk":{{stepsPerChunk}}} }
            """;
        using HttpResponseMessage response = await http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return runId;
    }
}
