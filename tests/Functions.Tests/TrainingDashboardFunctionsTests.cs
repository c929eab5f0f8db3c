using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Functions.Tests;

/// <summary>The metrics, checkpoint and dashboard functions answer as the worker's routes do.</summary>
public class TrainingDashboardFunctionsTests
{
    private readonly RecordingDurableTaskClient _client = new();
    private readonly TrainingDashboardFunctions _functions = FunctionsComposition.Create<TrainingDashboardFunctions>(services => services
        .AddSingleton<ITrainingJournalReader>(new OneRecordJournal())
        .AddSingleton<ICheckpointStore>(new OneCheckpointStore()));

    private static HttpRequest Request()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Body = new MemoryStream();
        return context.Request;
    }

    private async Task KnownRunAsync(string runId) =>
        await TrainingHttpFunctionsTests.Create().Start(
            new DefaultHttpContext { Request = { Method = "POST", Scheme = "https", Host = new HostString("x"), Body = new MemoryStream(Encoding.UTF8.GetBytes($$"""{"runId":"{{runId}}"}""")) } }.Request,
            _client, CancellationToken.None);

    [Fact]
    public async Task Metrics_KnownRun_AreTheJournal_UnknownRun_404()
    {
        await KnownRunAsync("run-1");

        var known = Assert.IsType<ContentResult>(await _functions.Metrics(Request(), "run-1", _client, CancellationToken.None));
        var unknown = Assert.IsType<ContentResult>(await _functions.Metrics(Request(), "run-2", _client, CancellationToken.None));

        Assert.Equal(200, known.StatusCode);
        JsonElement body = JsonDocument.Parse(known.Content!).RootElement;
        Assert.Equal("run-1", body.GetProperty("runId").GetString());
        Assert.Equal("evaluation", body.GetProperty("records")[0].GetProperty("kind").GetString());
        Assert.False(body.GetProperty("records")[0].TryGetProperty("scale", out _));
        Assert.Equal(404, unknown.StatusCode);
    }

    [Fact]
    public async Task Checkpoint_IsTheStoredBytes()
    {
        await KnownRunAsync("run-1");

        var file = Assert.IsType<FileContentResult>(await _functions.Checkpoint(Request(), "run-1", "round-000001/merged", _client, CancellationToken.None));
        var tricky = Assert.IsType<ContentResult>(await _functions.Checkpoint(Request(), "run-1", "../x/initial", _client, CancellationToken.None));

        Assert.Equal("application/octet-stream", file.ContentType);
        Assert.Equal(new byte[] { 7 }, file.FileContents);
        Assert.Equal(404, tricky.StatusCode);
    }

    [Fact]
    public void Dashboard_IsTheHtmlPage()
    {
        var page = Assert.IsType<ContentResult>(TrainingDashboardFunctions.Dashboard(Request()));

        Assert.StartsWith("text/html", page.ContentType, StringComparison.Ordinal);
        Assert.Contains("loss-chart", page.Content, StringComparison.Ordinal);
        // The chart library is in the page itself: nothing is fetched from elsewhere.
        Assert.Contains("uPlot", page.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("<!-- chart library:", page.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", page.Content, StringComparison.Ordinal);
    }

    private sealed class OneRecordJournal : ITrainingJournalReader
    {
        public Task<TrainingJournalPage> ReadAsync(RunId runId, long cursor = 0, CancellationToken cancellationToken = default) =>
            Task.FromResult(new TrainingJournalPage(cursor == 0 ? [new TrainingJournalRecord(TrainingJournalKind.Evaluation, 10, DateTime.UnixEpoch) { Loss = 0.5, Scores = new Dictionary<string, double> { ["accuracy"] = 0.8 } }] : [], 1));
    }

    private sealed class OneCheckpointStore : ICheckpointStore
    {
        public Task SaveAsync(CheckpointReference reference, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<byte[]> LoadAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.FromResult(new byte[] { 7 });

        public Task DeleteAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<bool> ExistsAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.FromResult(true);

        public string Describe(CheckpointReference reference) => reference.ToString();
    }
}
