using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public class BlobTrainingJournalTests(AzuriteFixture azurite)
{
    private static readonly DateTime T0 = new(2026, 11, 29, 0, 0, 0, DateTimeKind.Utc);

    private readonly BlobContainerClient _checkpoints =
        new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("ckpt-" + Guid.NewGuid().ToString("N")[..10]);

    private static TrainingJournalRecord Step(long step, double loss) => new(TrainingJournalKind.Step, step, T0.AddSeconds(step)) { Round = 1, Replica = 0, Loss = loss };

    [Fact]
    public async Task Appends_GoToOnePrivateAppendBlobBesideTheCheckpoints_AndReadBackWithoutDuplicates()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var journal = BlobTrainingJournal.Beside(_checkpoints, metrics);

        await journal.AppendAsync(RunId.Parse("run-1"), [Step(1, 2.0), Step(2, 1.5)]);
        await journal.AppendAsync(RunId.Parse("run-1"), [Step(2, 1.5), Step(3, 1.2)]); // a retried activity writes step 2 again
        await journal.AppendAsync(RunId.Parse("run-2"), [Step(1, 9.0)]);

        var records = (await journal.ReadAsync(RunId.Parse("run-1"))).Records;
        Assert.Equal(new long[] { 1, 2, 3 }, records.Select(record => record.Step));
        Assert.Equal(1.2, records[^1].Loss);
        BlobContainerClient container = _checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(metrics);
        BlobProperties properties = (await container.GetBlobClient("run-1/metrics.jsonl").GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, properties.BlobType);
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.False(await _checkpoints.ExistsAsync());
    }

    [Fact]
    public async Task Read_OfARunWithNoJournal_IsEmpty()
    {
        var journal = BlobTrainingJournal.Beside(_checkpoints, "metrics-" + Guid.NewGuid().ToString("N")[..8]);

        TrainingJournalPage page = await journal.ReadAsync(RunId.Parse("nobody"));
        Assert.Empty(page.Records);
        Assert.Equal(0, page.Cursor);
    }

    [Fact]
    public async Task Read_FromTheCursorAPageGave_ReturnsOnlyRecordsAppendedSince()
    {
        var journal = BlobTrainingJournal.Beside(_checkpoints, "metrics-" + Guid.NewGuid().ToString("N")[..8]);
        await journal.AppendAsync(RunId.Parse("run-1"), [Step(1, 2.0), Step(2, 1.5)]);

        TrainingJournalPage first = await journal.ReadAsync(RunId.Parse("run-1"));
        TrainingJournalPage nothingNew = await journal.ReadAsync(RunId.Parse("run-1"), first.Cursor);
        await journal.AppendAsync(RunId.Parse("run-1"), [Step(3, 1.2)]);
        await journal.AppendAsync(RunId.Parse("run-1"), [Step(4, 1.1), Step(5, 1.0)]);
        TrainingJournalPage second = await journal.ReadAsync(RunId.Parse("run-1"), first.Cursor);
        TrainingJournalPage all = await journal.ReadAsync(RunId.Parse("run-1"));

        Assert.Equal(new long[] { 1, 2 }, first.Records.Select(record => record.Step));
        Assert.Equal((0, first.Cursor), (nothingNew.Records.Count, nothingNew.Cursor));
        Assert.Equal(new long[] { 3, 4, 5 }, second.Records.Select(record => record.Step));
        Assert.Equal(all.Cursor, second.Cursor);
        Assert.True(second.Cursor > first.Cursor);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, all.Records.Select(record => record.Step));
    }

    [Fact]
    public async Task Append_AfterTheJournalBlobWasDeleted_StartsItAgain()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var journal = BlobTrainingJournal.Beside(_checkpoints, metrics);
        await journal.AppendAsync(RunId.Parse("run-1"), [Step(1, 2.0)]);
        await _checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(metrics).DeleteBlobAsync("run-1/metrics.jsonl");

        await journal.AppendAsync(RunId.Parse("run-1"), [Step(2, 1.5)]);

        Assert.Equal(new long[] { 2 }, (await journal.ReadAsync(RunId.Parse("run-1"))).Records.Select(record => record.Step));
    }

    [Fact]
    public async Task Append_OfMoreThanOneBlockOfRecords_SplitsThemAtWholeLinesAndReadsBackEveryOne()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var journal = BlobTrainingJournal.Beside(_checkpoints, metrics);
        // About 100 bytes a record: 40,000 records are more than one 3 MiB block.
        TrainingJournalRecord[] records = [.. Enumerable.Range(1, 40_000).Select(step => Step(step, 1.0 / step))];

        await journal.AppendAsync(RunId.Parse("run-1"), records);

        var read = (await journal.ReadAsync(RunId.Parse("run-1"))).Records;
        Assert.Equal(records.Select(record => record.Step), read.Select(record => record.Step));
        BlobContainerClient container = _checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(metrics);
        BlobProperties properties = (await container.GetBlobClient("run-1/metrics.jsonl").GetPropertiesAsync()).Value;
        Assert.True(properties.BlobCommittedBlockCount >= 2, $"{properties.BlobCommittedBlockCount} block(s) of {properties.ContentLength} bytes");
    }

    [Fact]
    public async Task AnAppendWhoseAnswerIsLost_IsRetriedByTheSdk_AndWrittenOnce()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var losing = new LoseAnswersPolicy(appendsToLose: 3);
        var options = new BlobClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.AddPolicy(losing, Azure.Core.HttpPipelinePosition.PerRetry);
        BlobContainerClient checkpoints = new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient(_checkpoints.Name);
        var journal = BlobTrainingJournal.Beside(checkpoints, metrics);

        for (long step = 1; step <= 5; step++)
        {
            await journal.AppendAsync(RunId.Parse("run-1"), [Step(step, 1.0 / step)]);
        }

        Assert.Equal(3, losing.Lost);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, await RawStepsAsync(metrics, "run-1"));
    }

    [Fact]
    public async Task TwoWritersOfOneJournal_EachWithAStaleEnd_LoseAndDuplicateNothing()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var first = BlobTrainingJournal.Beside(_checkpoints, metrics);
        var second = BlobTrainingJournal.Beside(_checkpoints, metrics);

        for (long step = 1; step <= 6; step += 2)
        {
            await first.AppendAsync(RunId.Parse("run-1"), [Step(step, 1.0)]);
            await second.AppendAsync(RunId.Parse("run-1"), [Step(step + 1, 1.0)]);
        }

        await Task.WhenAll(Enumerable.Range(7, 10).Select(step => (step % 2 == 0 ? first : second).AppendAsync(RunId.Parse("run-1"), [Step(step, 1.0)])));

        Assert.Equal(Enumerable.Range(1, 16).Select(step => (long)step), (await RawStepsAsync(metrics, "run-1")).Order());
    }

    /// <summary>The steps of every line of the journal blob as stored, duplicates included.</summary>
    private async Task<long[]> RawStepsAsync(string metrics, string run)
    {
        BlobClient blob = _checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(metrics).GetBlobClient($"{run}/metrics.jsonl");
        string text = (await blob.DownloadContentAsync()).Value.Content.ToString();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt64())];
    }

    /// <summary>Lets the first appends reach storage, then drops their answers as a reset connection would.</summary>
    private sealed class LoseAnswersPolicy(int appendsToLose) : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        private int _lost;

        public int Lost => _lost;

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            ProcessNext(message, pipeline);
            Lose(message);
        }

        public override async ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            Lose(message);
        }

        private void Lose(Azure.Core.HttpMessage message)
        {
            if (message.Request.Uri.Query.Contains("comp=appendblock", StringComparison.Ordinal)
                && message.Response.Status == 201
                && _lost < appendsToLose)
            {
                _lost++;
                throw new IOException("The connection was reset before the answer arrived.");
            }
        }
    }

    [Fact]
    public async Task AChunkRunTwice_OneRunAfterTheOther_AppendsItsStepRecordsOnce()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var journal = BlobTrainingJournal.Beside(_checkpoints, metrics);
        var activity = new Durable.Activities.RunChunkActivity(new StepsExecutor(), journal);
        RunId run = RunId.Parse("run-1");

        ChunkResult first = await activity.RunAsync(null!, Chunk(run, round: 1, journalFrom: 0));
        ChunkResult again = await activity.RunAsync(null!, Chunk(run, round: 1, journalFrom: 0));
        ChunkResult next = await activity.RunAsync(null!, Chunk(run, round: 2, journalFrom: first.JournalEnd));
        await activity.RunAsync(null!, Chunk(run, round: 2, journalFrom: first.JournalEnd));

        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, await RawStepsAsync(metrics, "run-1"));
        Assert.Equal(first.JournalEnd, again.JournalEnd);
        Assert.True(next.JournalEnd > first.JournalEnd);
    }

    [Fact]
    public async Task TwoRunsOfOneChunkAtOnce_InTwoProcesses_AppendItsStepRecordsOnce()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        RunId run = RunId.Parse("run-1");
        await BlobTrainingJournal.Beside(_checkpoints, metrics).AppendAsync(run, [Step(0, 3.0)]);
        // Both runs finish their steps before either appends: the engine handed the chunk to two workers.
        using var bothTrained = new Barrier(2);
        Durable.Activities.RunChunkActivity Worker() => new(new StepsExecutor(bothTrained), BlobTrainingJournal.Beside(_checkpoints, metrics));

        await Task.WhenAll(
            Task.Run(() => Worker().RunAsync(null!, Chunk(run, round: 1, journalFrom: 0))),
            Task.Run(() => Worker().RunAsync(null!, Chunk(run, round: 1, journalFrom: 0))));

        Assert.Equal(new long[] { 0, 1, 2, 3 }, await RawStepsAsync(metrics, "run-1"));
    }

    [Fact]
    public async Task ARoundTrainedAgainAfterARollback_AppendsItsStepsAgain()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var activity = new Durable.Activities.RunChunkActivity(new StepsExecutor(), BlobTrainingJournal.Beside(_checkpoints, metrics));
        RunId run = RunId.Parse("run-1");

        ChunkResult diverged = await activity.RunAsync(null!, Chunk(run, round: 1, journalFrom: 0));
        await activity.RunAsync(null!, Chunk(run, round: 1, journalFrom: diverged.JournalEnd));

        Assert.Equal(new long[] { 1, 2, 3, 1, 2, 3 }, await RawStepsAsync(metrics, "run-1"));
    }

    [Fact]
    public async Task AnOrchestrationBatchWrittenTwice_LandsOnce_ButARecordOfTheSameIdentityMadeLaterLands()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var journal = BlobTrainingJournal.Beside(_checkpoints, metrics);
        RunId run = RunId.Parse("run-1");
        TrainingJournalRecord evaluated = new(TrainingJournalKind.Evaluation, 10, T0) { Loss = 0.5 };
        TrainingJournalRecord stopped = new(TrainingJournalKind.Stop, 10, T0) { Reason = "max steps" };
        long mark = await journal.AppendAsync(run, [Step(1, 2.0)]);

        await journal.AppendAsync(run, [evaluated, stopped], new JournalAppendOnce(mark, JournalDuplicate.SameRecord));
        await journal.AppendAsync(run, [Step(2, 1.0)]);
        await journal.AppendAsync(run, [evaluated, stopped], new JournalAppendOnce(mark, JournalDuplicate.SameRecord));
        // Evaluated again after falling back to an earlier checkpoint: the same identity, a later time.
        await journal.AppendAsync(run, [evaluated with { Time = T0.AddMinutes(1), Loss = 0.4 }], new JournalAppendOnce(mark, JournalDuplicate.SameRecord));

        Assert.Equal(new long[] { 1, 10, 10, 2, 10 }, await RawStepsAsync(metrics, "run-1"));
        Assert.Equal(0.4, (await journal.ReadAsync(run)).Records.Single(record => record.Kind == TrainingJournalKind.Evaluation).Loss);
    }

    [Fact]
    public async Task AnAppendOnceWhoseAnswersAreLost_IsWrittenOnce_AndReturnsTheJournalsEnd()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var losing = new LoseAnswersPolicy(appendsToLose: 2);
        var options = new BlobClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.AddPolicy(losing, Azure.Core.HttpPipelinePosition.PerRetry);
        var journal = BlobTrainingJournal.Beside(new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient(_checkpoints.Name), metrics);
        RunId run = RunId.Parse("run-1");

        long end = 0;
        for (long step = 1; step <= 4; step++)
        {
            end = await journal.AppendAsync(run, [Step(step, 1.0 / step)], new JournalAppendOnce(end, JournalDuplicate.SameIdentity));
        }

        Assert.Equal(2, losing.Lost);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, await RawStepsAsync(metrics, "run-1"));
        BlobProperties properties = (await _checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(metrics).GetBlobClient("run-1/metrics.jsonl").GetPropertiesAsync()).Value;
        Assert.Equal(properties.ContentLength, end);
    }

    private static ChunkCommand Chunk(RunId run, long round, long journalFrom) =>
        new(CheckpointReference.Initial(run), CheckpointReference.ForReplica(run, round, 0), 0, 1, (round - 1) * 3, 3, 1.0, null!) { Round = round, JournalFrom = journalFrom };

    /// <summary>A chunk as the executor reports it: three steps (each run waiting at <paramref name="trained"/>, when given, once its steps are done).</summary>
    private sealed class StepsExecutor(Barrier? trained = null) : ITrainingExecutor
    {
        public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            StepMetric[] steps = [.. Enumerable.Range(1, command.Steps).Select(step => new StepMetric(command.ReplicaStepsBefore + step, 1.0 / step, 0.01))];
            trained?.SignalAndWait(TimeSpan.FromSeconds(30), cancellationToken);
            return Task.FromResult(new ChunkResult(command.Output, command.Steps, 0.5, 0.4, 96, 1.0, steps));
        }

        public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
