using System.Net;
using System.Text;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// A text classifier through the durable engine on a real worker and Azurite, from a CSV with a text column and no
/// model or recipe named: the default encoder and text recipe, a worker SIGKILLed after the first chunk ending
/// bitwise where an undisturbed run ends, then the run predicting texts sent to its predict route and a batch job
/// over a CSV of texts.
/// </summary>
public sealed class TextClassificationRunTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task ATextClassifierFromACsv_KilledAfterItsFirstChunk_EndsBitwise_AndPredictsTexts()
    {
        await PutAsync("topics/train.csv", DataFiles.TopicCsv(900));
        string whole = await StartAsync(fixture.Http, "topics-whole", stepsPerChunk: 200);
        (JsonElement done, _) = await ResumeAcrossAKill.FinishSplitRunInANewProcessAsync(
            fixture, whole, attempt => StartAsync(fixture.Http, $"topics-split-{attempt}", stepsPerChunk: 40), step: 40, "topics-replacement.log");
        string split = done.GetProperty("instanceId").GetString()!;

        JsonElement output = done.GetProperty("output");
        Assert.InRange(output.GetProperty("testEvaluation").GetProperty("accuracy").GetDouble(), 0.9, 1.0);

        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri($"/api/training/{split}/predict", UriKind.Relative),
            """{"rows":[{"text":"the coach and the team won the match","mood":"happy"},{"text":"sweet apple, baked cheese"},{"text":"snow then storm"}]}""");
        string answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        JsonElement predicted = JsonDocument.Parse(answer).RootElement;
        Assert.Equal(["sport", "food", "weather"], predicted.GetProperty("predictions").EnumerateArray().Select(row => row.GetProperty("prediction").GetString()!));
        Assert.Equal(["mood"], predicted.GetProperty("ignoredColumns").EnumerateArray().Select(name => name.GetString()!));

        await PutAsync("topics/score.csv", DataFiles.TopicCsv(120, seed: 9));
        using HttpResponseMessage job = await fixture.Http.PostJsonAsync(new Uri("/api/predictions", UriKind.Relative),
            $$"""{"predictionId":"topics-scored","model":{"run":"{{split}}"},"data":{"source":"topics/score.csv","idColumn":"id"},"rowsPerPart":50}""");
        Assert.True(job.StatusCode == HttpStatusCode.Accepted, await job.Content.ReadAsStringAsync());
        JsonElement scored = await StatusPolling.UntilAsync(fixture.Http, "/api/predictions/topics-scored", status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated", TimeSpan.FromMinutes(3));
        Assert.True(scored.GetProperty("runtimeStatus").GetString() == "Completed", scored.ToString());
        JsonElement manifest = scored.GetProperty("manifest");
        Assert.Equal(120, manifest.GetProperty("rows").GetInt64());
        Assert.InRange(manifest.GetProperty("metrics").GetProperty("scores").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
    }

    private async Task PutAsync(string path, string csv)
    {
        using HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri($"/api/datasets/{path}", UriKind.Relative), Encoding.UTF8.GetBytes(csv));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    private static async Task<string> StartAsync(HttpClient http, string runId, int stepsPerChunk)
    {
        string body = $$"""
            {"runId":"{{runId}}",
             "data":{"source":"topics/train.csv","label":"topic","text":"text","idColumn":"id","contextLength":48},
             "evaluation":{"intervalSteps":100000},
             "execution":{"stepsPerChunk":{{stepsPerChunk}}} }
            """;
        using HttpResponseMessage response = await http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return runId;
    }
}
