using System.Net;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// 2H steps in one chunk, versus H steps, a checkpoint, a new worker process, and H more steps: bitwise the same
/// weights (and optimizer state) at a fixed thread count.
/// </summary>
public sealed class ExactResumeTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task TwoChunksAcrossAProcessRestart_EqualOneChunkOfBothLengthsBitwise()
    {
        string whole = await StartAsync(fixture.Http, "resume-whole", stepsPerChunk: 120);

        (JsonElement done, _) = await ResumeAcrossAKill.FinishSplitRunInANewProcessAsync(
            fixture, whole, attempt => StartAsync(fixture.Http, $"resume-split-{attempt}", stepsPerChunk: 60), step: 60, "resume-replacement.log");

        Assert.Equal(120, done.GetProperty("output").GetProperty("stepsDone").GetInt64());
    }

    private static async Task<string> StartAsync(HttpClient http, string runId, int stepsPerChunk)
    {
        string body = $$"""{"runId":"{{runId}}","data":{"dataset":"synthetic"},"model":{"architecture":"cnn"},"training":{"maxSteps":120,"seed":9},"evaluation":{"intervalSteps":100000},"execution":{"stepsPerChunk":{{stepsPerChunk}}} }""";
        using HttpResponseMessage response = await http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return runId;
    }
}
