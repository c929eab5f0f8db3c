using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

/// <summary>What the training loop writes to the metrics journal, and how a reader sees a journal with retries in it.</summary>
public class TrainingJournalTests
{
    private readonly RecordingJournal _journal = new();

    private static readonly ExecutionSettings ChunksOfTen = new(StepsPerChunk: 10);

    private Task<TrainingOutcome> RunAsync(TrainingRunInput input, ITrainingExecutor? executor = null, ITrainingControl? control = null) =>
        new TrainingOrchestrator(
                new TrainingOrchestratorPorts(executor ?? new ScriptedExecutor(), new RecordingMonitor(), new RecordingPruner(), control, new SteppingClock(TimeSpan.FromSeconds(1)), Journal: _journal),
                new PureTrainingService())
            .RunAsync(input);

    private List<TrainingJournalRecord> Of(TrainingJournalKind kind) => _journal.Records.Where(record => record.Kind == kind).ToList();

    [Fact]
    public async Task Run_JournalsEachReplicasChunkEveryEvaluationAndTheStop_InAtMostOneWritePerRound()
    {
        var outcome = await RunAsync(TestRuns.Input(
            ChunksOfTen, new TrainingSection(MaxSteps: 60, BatchSize: 32), new EvaluationSection(IntervalSteps: 20), replicas: new ReplicaSection(Count: 2)));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.InRange(_journal.Appends.Count, 1, outcome.Rounds + 1);
        var chunks = Of(TrainingJournalKind.Chunk);
        Assert.Equal(outcome.Rounds * 2, chunks.Count);
        Assert.Equal(new long[] { 20, 20, 40, 40, 60, 60 }, chunks.Select(chunk => chunk.Step));
        Assert.Equal(new int?[] { 0, 1, 0, 1, 0, 1 }, chunks.Select(chunk => chunk.Replica));
        Assert.Equal(new long?[] { 1, 1, 2, 2, 3, 3 }, chunks.Select(chunk => chunk.Round));
        Assert.All(chunks, chunk => Assert.True(chunk.Loss > 0 && chunk.SamplesPerSecond > 0 && chunk.Seconds > 0));
        var evaluations = Of(TrainingJournalKind.Evaluation);
        Assert.Equal(new long[] { 20, 40, 60 }, evaluations.Select(evaluation => evaluation.Step));
        Assert.All(evaluations, evaluation => Assert.NotNull(evaluation.Scores?["accuracy"]));
        TrainingJournalRecord stop = Of(TrainingJournalKind.Stop).Single();
        TrainingJournalRecord test = Of(TrainingJournalKind.Test).Single();
        Assert.Equal(("final", 60L, "round-000003/merged"), (test.Status, test.Step, test.Checkpoint));
        Assert.NotNull(test.Scores?["accuracy"]);
        Assert.Equal(("Completed", "PlanCompleted", 60L), (stop.Status, stop.Reason, stop.Step));
        Assert.All(_journal.Records, record => Assert.NotEqual(default, record.Time));
    }

    [Fact]
    public async Task ChunksAndJournalWrites_LeaveOutWhatTheJournalHoldsAfterWhereItEndedWhenThePreviousRoundReturned()
    {
        var executor = new ScriptedExecutor();
        await RunAsync(TestRuns.Input(
            ChunksOfTen, new TrainingSection(MaxSteps: 60, BatchSize: 32), new EvaluationSection(IntervalSteps: 20), replicas: new ReplicaSection(Count: 2)), executor);

        long[] ends = [.. executor.Calls.OfType<ChunkCommand>().Chunk(2).Select(round => 100L * (executor.Calls.IndexOf(round[1]) + 1))];
        Assert.Equal(
            new long[] { 0, 0, ends[0], ends[0], ends[1], ends[1] },
            executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.JournalFrom));
        Assert.NotEmpty(_journal.Once);
        Assert.All(_journal.Once, once => Assert.Equal(JournalDuplicate.SameRecord, once?.Duplicates));
        Assert.All(_journal.Once, once => Assert.Contains(once!.From, ends));
    }

    [Fact]
    public async Task Run_JournalsKeptCheckpointsAndMarksRetiredOnesPruned()
    {
        await RunAsync(TestRuns.Input(
            ChunksOfTen, new TrainingSection(MaxSteps: 100, BatchSize: 32), new EvaluationSection(IntervalSteps: 10), checkpoints: new CheckpointSection(IntervalSteps: 30, KeepLast: 1)));

        var latest = TrainingJournalRecord.Latest(_journal.Records).Where(record => record.Kind == TrainingJournalKind.Checkpoint).ToArray();
        Assert.Contains(latest, record => record.Checkpoint == "round-000003/replica-00");
        Assert.Equal("kept", latest[^1].Status);
        Assert.Equal(100, latest[^1].Step);
        Assert.Contains(latest, record => record.Status == "pruned");
        Assert.Equal(latest.Length, latest.Select(record => record.Checkpoint).Distinct().Count());
    }

    [Fact]
    public async Task Run_WithAnExecutorThatReportsSteps_JournalsEveryStepOnTheGlobalAxis()
    {
        await RunAsync(TestRuns.Input(ChunksOfTen, new TrainingSection(MaxSteps: 40, BatchSize: 32), replicas: new ReplicaSection(Count: 2)), new StepReportingExecutor());

        var steps = Of(TrainingJournalKind.Step);
        Assert.Equal(40, steps.Count);
        Assert.Equal(Enumerable.Range(1, 20).Select(step => step * 2L), steps.Where(step => step.Replica == 0).Select(step => step.Step));
        Assert.All(steps, step => Assert.Equal(0.001, step.LearningRate));
    }

    [Fact]
    public async Task Run_JournalsRequestedAndPlateauLearningRateChangesWithTheirReasons()
    {
        await RunAsync(
            TestRuns.Input(
                ChunksOfTen, new TrainingSection(MaxSteps: 200, BatchSize: 32), new EvaluationSection(IntervalSteps: 10), new StoppingSection(PlateauPatience: 2, PlateauFactor: 0.5)),
            control: new ScriptedControl { ScalesAtAsking = new() { [3] = 2.0 } });

        var changes = Of(TrainingJournalKind.LearningRate);
        TrainingJournalRecord requested = Assert.Single(changes, change => change.Reason!.Contains("adjust", StringComparison.Ordinal));
        Assert.Equal((2.0, 20L), (requested.Scale, requested.Step));
        Assert.Contains(changes, change => change.Scale == 1.0 && !change.Reason!.Contains("adjust", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_WhenARoundDiverges_JournalsTheRollbackAndItsLearningRateCut()
    {
        int attempts = 0;
        var executor = new ScriptedExecutor
        {
            LossOverride = chunk => chunk.Output.Name.StartsWith("round-000002", StringComparison.Ordinal) && attempts++ == 0 ? double.NaN : null,
        };

        await RunAsync(TestRuns.Input(ChunksOfTen, new TrainingSection(MaxSteps: 40, BatchSize: 32)), executor);

        TrainingJournalRecord rollback = Assert.Single(Of(TrainingJournalKind.Rollback));
        Assert.Equal((10L, 2L, "round-000001/replica-00"), (rollback.Step, rollback.Round!.Value, rollback.Checkpoint));
        TrainingJournalRecord cut = Assert.Single(Of(TrainingJournalKind.LearningRate));
        Assert.Equal(0.5, cut.Scale);
        Assert.StartsWith("rollback: ", cut.Reason, StringComparison.Ordinal);
        // The diverged chunk's NaN mean has no JSON form: it is left out, not written as a number.
        Assert.Contains(Of(TrainingJournalKind.Chunk), chunk => chunk.Round == 2 && chunk.Loss is null);
    }

    [Fact]
    public async Task Run_WhenItFails_JournalsAFailedStopWithTheReason()
    {
        var executor = new ScriptedExecutor { FailChunk = chunk => chunk.Output.Name.StartsWith("round-000002", StringComparison.Ordinal) ? new InvalidOperationException("disk on fire") : null };

        await RunAsync(TestRuns.Input(ChunksOfTen, new TrainingSection(MaxSteps: 40, BatchSize: 32)), executor);

        TrainingJournalRecord stop = Assert.Single(Of(TrainingJournalKind.Stop));
        Assert.Equal(("Failed", "disk on fire"), (stop.Status, stop.Reason));
    }

    [Fact]
    public void Latest_DropsRetriedDuplicatesKeepsTheLastWrittenAndSortsByStepThenTime()
    {
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        TrainingJournalRecord Step(long step, double loss, int seconds) => new(TrainingJournalKind.Step, step, t0.AddSeconds(seconds)) { Round = 1, Replica = 0, Loss = loss };
        var written = new[]
        {
            Step(2, 0.9, 2),
            Step(1, 1.0, 1),
            Step(2, 0.8, 5), // the same step written again (a retry, or the round trained again): this one wins
            new TrainingJournalRecord(TrainingJournalKind.LearningRate, 2, t0.AddSeconds(6)) { Round = 1, Scale = 0.5, Reason = "plateau" },
            new TrainingJournalRecord(TrainingJournalKind.LearningRate, 2, t0.AddSeconds(6)) { Round = 1, Scale = 0.5, Reason = "plateau" },
            new TrainingJournalRecord(TrainingJournalKind.LearningRate, 2, t0.AddSeconds(6)) { Round = 1, Scale = 0.25, Reason = "rollback: diverged" },
            Step(1, 1.0, 1) with { Replica = 1 },
        };

        var latest = TrainingJournalRecord.Latest(written);

        Assert.Equal(
            new[] { (1L, "step"), (1L, "step"), (2L, "step"), (2L, "learningRate"), (2L, "learningRate") },
            latest.Select(record => (record.Step, TrainingJournalKinds.NameOf(record.Kind))));
        Assert.Equal(0.8, latest[2].Loss);
        Assert.Equal(new double?[] { 0.5, 0.25 }, latest.Skip(3).Select(record => record.Scale));
    }
}

/// <summary>A journal that is down for a while must not end the run, nor lose what it could not write.</summary>
public class FailingJournalTests
{
    [Fact]
    public async Task Run_WhenJournalWritesFail_CompletesAndWritesTheHeldRecordsLater()
    {
        var journal = new FlakyJournal(failures: 2);

        var outcome = await new TrainingOrchestrator(
                new TrainingOrchestratorPorts(new ScriptedExecutor(), new RecordingMonitor(), new RecordingPruner(), Clock: new SteppingClock(TimeSpan.FromSeconds(1)), Journal: journal),
                new PureTrainingService())
            .RunAsync(TestRuns.Input(new ExecutionSettings(StepsPerChunk: 10), new TrainingSection(MaxSteps: 60, BatchSize: 32), new EvaluationSection(IntervalSteps: 20)));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal(2, journal.Failures);
        Assert.Equal(new long[] { 10, 20, 30, 40, 50, 60 }, journal.Written.Where(record => record.Kind == TrainingJournalKind.Chunk).Select(record => record.Step));
        // The stop, then the test split's verdict on the final checkpoint, go out with the last write.
        Assert.Equal([TrainingJournalKind.Stop, TrainingJournalKind.Test], journal.Written.TakeLast(2).Select(record => record.Kind));
    }

    private sealed class FlakyJournal(int failures) : ITrainingJournal
    {
        private int _left = failures;

        public int Failures { get; private set; }

        public List<TrainingJournalRecord> Written { get; } = [];

        public Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default)
        {
            if (_left-- > 0)
            {
                Failures++;
                return Task.FromException<long>(new InvalidOperationException("storage is down"));
            }

            Written.AddRange(records);
            return Task.FromResult((long)Written.Count);
        }
    }
}

/// <summary>
/// A round's journal write and checkpoint pruning run beside the next round's chunk rather than before it, and a
/// write that fails while the chunk runs loses nothing.
/// </summary>
public class HousekeepingBesideTheNextRoundTests
{
    // 60 steps in chunks of 10. A write or pruning that starts once the sixth chunk has started is the last: nothing
    // can overlap it. Every other one sees the next chunk start, however late the thread pool runs it.
    private const int Chunks = 6;

    // Waited out only if the loop wrongly awaits its housekeeping before starting the next chunk (it would hang).
    private static readonly TimeSpan Deadlock = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Run_StartsTheNextChunkWhileTheJournalWriteAndThePruningAreStillGoing()
    {
        var chunks = new ChunkSignal(Chunks);
        var journal = new WaitingJournal(chunks);
        var pruner = new WaitingPruner(chunks);

        var outcome = await new TrainingOrchestrator(
                new TrainingOrchestratorPorts(new SignallingExecutor(chunks), new RecordingMonitor(), pruner, Clock: new SteppingClock(TimeSpan.FromSeconds(1)), Journal: journal),
                new PureTrainingService())
            .RunAsync(TestRuns.Input(new ExecutionSettings(StepsPerChunk: 10), new TrainingSection(MaxSteps: 60, BatchSize: 32), new EvaluationSection(IntervalSteps: 20), checkpoints: new CheckpointSection(KeepLast: 1)));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        // Every write and pruning but the one after the last round saw a chunk start while it was waiting; waited
        // for before the chunk, each would have given up instead.
        Assert.True(journal.Calls >= 5 && pruner.Calls >= 2, $"{journal.Calls} writes, {pruner.Calls} prunings");
        Assert.Equal((journal.Calls - 1, pruner.Calls - 1), (journal.OverlappedAChunk, pruner.OverlappedAChunk));
        Assert.Equal(new long[] { 10, 20, 30, 40, 50, 60 }, journal.Written.Where(record => record.Kind == TrainingJournalKind.Chunk).Select(record => record.Step));
    }

    [Fact]
    public async Task Run_WhenAWriteFailsWhileTheNextChunkRuns_WritesItsRecordsWithTheNextWriteBeforeTheNewOnes()
    {
        var chunks = new ChunkSignal(Chunks);
        var journal = new WaitingJournal(chunks, failFirst: 2);

        var outcome = await new TrainingOrchestrator(
                new TrainingOrchestratorPorts(new SignallingExecutor(chunks), new RecordingMonitor(), new RecordingPruner(), Clock: new SteppingClock(TimeSpan.FromSeconds(1)), Journal: journal),
                new PureTrainingService())
            .RunAsync(TestRuns.Input(new ExecutionSettings(StepsPerChunk: 10), new TrainingSection(MaxSteps: 60, BatchSize: 32), new EvaluationSection(IntervalSteps: 20)));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal(2, journal.Failures);
        Assert.Equal(new long[] { 10, 20, 30, 40, 50, 60 }, journal.Written.Where(record => record.Kind == TrainingJournalKind.Chunk).Select(record => record.Step));
        Assert.Equal(3, journal.Written.Count(record => record.Kind == TrainingJournalKind.Evaluation));
        Assert.Equal([TrainingJournalKind.Stop, TrainingJournalKind.Test], journal.Written.TakeLast(2).Select(record => record.Kind));
    }

    /// <summary>Completes a task each time one of the run's <paramref name="chunks"/> chunks starts.</summary>
    private sealed class ChunkSignal(int chunks)
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public Task NextChunk => _next.Task;

        // Signals before counting: a waiter that sees the count of a chunk has seen its signal too.
        public void ChunkStarted()
        {
            Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();
            Interlocked.Increment(ref _started);
        }

        /// <summary>True once the next chunk starts; false at once when every chunk has started already.</summary>
        public async Task<bool> WaitForAChunkAsync()
        {
            Task next = NextChunk;
            if (Volatile.Read(ref _started) >= chunks && !next.IsCompleted)
            {
                return false;
            }

            return await Task.WhenAny(next, Task.Delay(Deadlock)) == next;
        }
    }

    private sealed class SignallingExecutor(ChunkSignal chunks) : ITrainingExecutor
    {
        private readonly ScriptedExecutor _inner = new();

        public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) => _inner.InitializeAsync(command, cancellationToken);

        public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            chunks.ChunkStarted();
            return _inner.RunChunkAsync(command, cancellationToken);
        }

        public Task<Domain.Training.CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) => _inner.MergeAsync(command, cancellationToken);

        public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) => _inner.EvaluateAsync(command, cancellationToken);
    }

    /// <summary>Each write waits for a chunk to start (or its patience to run out) before it lands, or fails.</summary>
    private sealed class WaitingJournal(ChunkSignal chunks, int failFirst = 0) : ITrainingJournal
    {
        private int _failuresLeft = failFirst;

        public int Calls { get; private set; }

        public int OverlappedAChunk { get; private set; }

        public int Failures { get; private set; }

        public List<TrainingJournalRecord> Written { get; } = [];

        public async Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            if (await chunks.WaitForAChunkAsync())
            {
                OverlappedAChunk++;
            }

            if (_failuresLeft-- > 0)
            {
                Failures++;
                throw new InvalidOperationException("storage is down");
            }

            Written.AddRange(records);
            return Written.Count;
        }
    }

    private sealed class WaitingPruner(ChunkSignal chunks) : ICheckpointPruner
    {
        public int Calls { get; private set; }

        public int OverlappedAChunk { get; private set; }

        public async Task PruneAsync(IReadOnlyList<Domain.Training.CheckpointReference> checkpoints, CancellationToken cancellationToken = default)
        {
            Calls++;
            if (await chunks.WaitForAChunkAsync())
            {
                OverlappedAChunk++;
            }
        }
    }
}
