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
    public async Task AChunkRunTwice_AppendsItsStepRecordsOnce_AndAChunkThatDiedBeforeItsAppendGetsThemAll()
    {
        string metrics = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var journal = BlobTrainingJournal.Beside(_checkpoints, metrics);
        var checkpoints = new BlobCheckpointStore(_checkpoints);
        var executor = new CheckpointWritingExecutor(checkpoints);
        var activity = new Durable.Activities.RunChunkActivity(executor, journal, checkpoints, journal);
        RunId run = RunId.Parse("run-1");
        ChunkCommand Chunk(long round) => new(CheckpointReference.Initial(run), CheckpointReference.ForReplica(run, round, 0), 0, 1, (round - 1) * 3, 3, 1.0, null!) { Round = round };

        await activity.RunAsync(null!, Chunk(1));
        await activity.RunAsync(null!, Chunk(1));
        // Round 2's first run wrote its checkpoint and died before its append: the second run appends every step.
        await checkpoints.SaveAsync(Chunk(2).Output, new byte[] { 1, 2, 3 });
        await activity.RunAsync(null!, Chunk(2));
        await activity.RunAsync(null!, Chunk(2));

        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, await RawStepsAsync(metrics, "run-1"));
    }

    /// <summary>A chunk as the executor runs it: its output checkpoint written, three steps reported.</summary>
    private sealed class CheckpointWritingExecutor(ICheckpointStore checkpoints) : ITrainingExecutor
    {
        public async Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            await checkpoints.SaveAsync(command.Output, new byte[] { 1, 2, 3 }, cancellationToken);
            StepMetric[] steps = [.. Enumerable.Range(1, command.Steps).Select(step => new StepMetric(command.ReplicaStepsBefore + step, 1.0 / step, 0.01))];
            return new ChunkResult(command.Output, command.Steps, 0.5, 0.4, 96, 1.0, steps);
        }

        public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
