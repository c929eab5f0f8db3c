using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api.Tests;

public class TrainingDashboardApiTests
{
    private static readonly RunRecord Run = new("Training", "run-1", InstanceRuntimeStatus.Running, null, null, null, DateTime.UnixEpoch, DateTime.UnixEpoch);

    private static TrainingDashboardApi Api() => new(new OneRun(), new FixedJournal(), new OneCheckpointStore());

    [Theory]
    [InlineData("round-000002/merged", "round-000002/merged")]
    [InlineData("round-000002/replica-01.ckpt", "round-000002/replica-01")]
    [InlineData("initial", "initial")]
    [InlineData("../other-run/initial", null)]
    [InlineData("round-000002/../../x", null)]
    [InlineData("round-000002//merged", null)]
    [InlineData("/etc/passwd", null)]
    [InlineData("Round-1", null)]
    [InlineData("round%2F1", null)]
    [InlineData("a/b/c/d/e", null)]
    [InlineData("-x", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void CheckpointNames_OnlyPlainSegmentsPass(string? name, string? expected) =>
        Assert.Equal(expected, TrainingDashboardApi.NormalizeCheckpointName(name));

    [Fact]
    public async Task Metrics_ForAKnownRun_AreTheJournalUnderItsRunId()
    {
        ApiResult result = await Api().GetMetricsAsync("run-1", after: null, kind: null, CancellationToken.None);

        Assert.Equal(200, result.StatusCode);
        var metrics = Assert.IsType<RunMetrics>(result.Body);
        Assert.Equal("run-1", metrics.RunId.Value);
        Assert.Single(metrics.Records);
        Assert.Equal(1, metrics.Cursor);
    }

    [Fact]
    public async Task Metrics_AfterTheCursorTheyGave_HoldOnlyWhatIsNew()
    {
        var metrics = Assert.IsType<RunMetrics>((await Api().GetMetricsAsync("run-1", after: "1", kind: null, CancellationToken.None)).Body);

        Assert.Empty(metrics.Records);
        Assert.Equal(1, metrics.Cursor);
    }

    [Theory]
    [InlineData("step", 1)]
    [InlineData("evaluation,stop", 0)]
    [InlineData(" stop , step ", 1)]
    public async Task Metrics_FilteredByKind_HoldThoseKindsOnly(string kind, int expected)
    {
        var metrics = Assert.IsType<RunMetrics>((await Api().GetMetricsAsync("run-1", after: null, kind, CancellationToken.None)).Body);

        Assert.Equal(expected, metrics.Records.Count);
        Assert.Equal(1, metrics.Cursor);
    }

    [Theory]
    [InlineData("-1", null, "after")]
    [InlineData("ten", null, "after")]
    [InlineData("1.5", null, "after")]
    [InlineData(null, "steps", "kind")]
    [InlineData(null, ",", "kind")]
    public async Task Metrics_WithABadCursorOrKind_Are400NamingTheParameter(string? after, string? kind, string field)
    {
        ApiResult result = await Api().GetMetricsAsync("run-1", after, kind, CancellationToken.None);

        Assert.Equal((400, "application/problem+json"), (result.StatusCode, result.ContentType));
        var problem = Assert.IsType<ValidationProblem>(result.Body);
        Assert.Contains(field, problem.Errors.Keys);
    }

    [Theory]
    [InlineData("run-2")]
    [InlineData("../run-1")]
    public async Task Metrics_ForAnUnknownRun_Are404ProblemDetails(string runId)
    {
        ApiResult result = await Api().GetMetricsAsync(runId, after: null, kind: null, CancellationToken.None);

        Assert.Equal((404, "application/problem+json"), (result.StatusCode, result.ContentType));
    }

    [Fact]
    public async Task Checkpoint_StreamsTheStoredBytes_Or404()
    {
        ApiResult found = await Api().GetCheckpointAsync("run-1", "round-000001/merged", CancellationToken.None);
        ApiResult missing = await Api().GetCheckpointAsync("run-1", "round-000009/merged", CancellationToken.None);
        ApiResult tricky = await Api().GetCheckpointAsync("run-1", "../run-2/initial", CancellationToken.None);

        Assert.Equal((200, "application/octet-stream"), (found.StatusCode, found.ContentType));
        Assert.Equal(new byte[] { 1, 2, 3 }, found.Body);
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal(404, tricky.StatusCode);
    }

    [Fact]
    public void Dashboard_IsOneSelfContainedPage()
    {
        ApiResult page = TrainingDashboardApi.Dashboard();
        string html = Assert.IsType<string>(page.Body);

        Assert.StartsWith("text/html", page.ContentType, StringComparison.Ordinal);
        Assert.Contains("id=\"loss-chart\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"eval-chart\"", html, StringComparison.Ordinal);
        Assert.Contains("data-points", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stylesheet", html, StringComparison.OrdinalIgnoreCase);
        // The chart library's licence names its home page in a comment; nothing is loaded from any address.
        foreach (string external in new[] { "src=\"http", "href=\"http", "url(http", "@import", "fetch(\"http" })
        {
            Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("uPlot", html, StringComparison.Ordinal);
        Assert.Contains("id=\"sweep-chart\"", html, StringComparison.Ordinal);
    }

    private sealed class OneRun : ITrainingRunClient
    {
        public Task<RunRecord?> GetAsync(string instanceId, CancellationToken cancellationToken) => Task.FromResult(instanceId == Run.InstanceId ? Run : null);

        public Task<IReadOnlyList<RunRecord>> ListAsync(int top, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<RunRecord>>([Run]);

        public Task RaiseEventAsync(string instanceId, string eventName, object? data, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SuspendAsync(string instanceId, string? reason, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ResumeAsync(string instanceId, string? reason, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken) => Task.FromResult(0);
    }

    private sealed class FixedJournal : ITrainingJournalReader
    {
        public Task<TrainingJournalPage> ReadAsync(RunId runId, long cursor = 0, CancellationToken cancellationToken = default) =>
            Task.FromResult(new TrainingJournalPage(cursor == 0 ? [new TrainingJournalRecord(TrainingJournalKind.Step, 1, DateTime.UnixEpoch) { Loss = 1 }] : [], 1));
    }

    private sealed class OneCheckpointStore : ICheckpointStore
    {
        public Task SaveAsync(CheckpointReference reference, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<byte[]> LoadAsync(CheckpointReference reference, CancellationToken cancellationToken = default) =>
            reference == new CheckpointReference(RunId.Parse("run-1"), "round-000001/merged") ? Task.FromResult(new byte[] { 1, 2, 3 }) : throw new CheckpointNotFoundException(reference);

        public Task DeleteAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<bool> ExistsAsync(CheckpointReference reference, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public string Describe(CheckpointReference reference) => reference.ToString();
    }
}
