using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

public class CorruptCheckpointTests
{
    private readonly RecordingPruner _pruner = new();

    private static readonly ExecutionSettings ChunksOfTen = new(StepsPerChunk: 10);
    private static readonly TrainingSection FiftySteps = new(MaxSteps: 50, BatchSize: 32);

    private Task<TrainingOutcome> RunAsync(Ports.ITrainingExecutor executor, TrainingRunInput input) =>
        new TrainingOrchestrator(new TrainingOrchestratorPorts(executor, new RecordingMonitor(), _pruner), new PureTrainingService())
            .RunAsync(input);

    [Fact]
    public async Task ACorruptLatestCheckpoint_FallsBackToTheLastGoodOneAndRetrainsFromThere()
    {
        // Round 2's output turns out corrupt when round 3 reads it: training goes back to round 1 (kept at its interval).
        var executor = new ScriptedExecutor();
        var input = TestRuns.Input(ChunksOfTen, FiftySteps, checkpoints: new CheckpointSection(IntervalSteps: 10, KeepLast: 5));
        var outcome = await RunAsync(new CorruptOnceAfterWrite(executor, CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0)), input);

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal(50, outcome.StepsDone);
        Assert.Equal(1, outcome.RollbacksUsed);
        ChunkCommand[] chunks = executor.Calls.OfType<ChunkCommand>().ToArray();
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0), chunks[2].Start);
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0), chunks[3].Start);
        Assert.Equal(10, chunks[3].ReplicaStepsBefore);
        Assert.Contains(CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0), _pruner.Pruned);
    }

    [Fact]
    public async Task ACorruptInitialCheckpointWithNothingBeforeIt_FailsWithAClearReason()
    {
        var executor = new ScriptedExecutor();
        executor.Corrupt.Add(CheckpointReference.Initial(RunId.Parse("run-1")));

        var outcome = await RunAsync(executor, TestRuns.Input(ChunksOfTen, FiftySteps));

        Assert.Equal(TrainingOutcomeStatus.Failed, outcome.Status);
        Assert.Contains("run-1/initial is corrupt", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Contains("No earlier good checkpoint", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Single(executor.Calls.OfType<ChunkCommand>());
    }

    [Fact]
    public async Task CorruptionThatKeepsComingBack_FailsOnceTheRollbacksAreSpent()
    {
        var executor = new ScriptedExecutor();
        var corruptEveryTime = new CorruptAlways(executor, CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0));

        var outcome = await RunAsync(
            corruptEveryTime,
            TestRuns.Input(ChunksOfTen, FiftySteps, stopping: new StoppingSection(MaxRollbacks: 2), checkpoints: new CheckpointSection(IntervalSteps: 10)));

        Assert.Equal(TrainingOutcomeStatus.Failed, outcome.Status);
        Assert.Contains("No rollbacks are left", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Equal(2, outcome.RollbacksUsed);
    }

    /// <summary>Marks a checkpoint corrupt right after it is first written (as a bad disk or a tampering hand would).</summary>
    private sealed class CorruptOnceAfterWrite(ScriptedExecutor inner, CheckpointReference target) : DelegatingExecutor(inner)
    {
        private bool _done;

        public override async Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            ChunkResult result = await base.RunChunkAsync(command, cancellationToken);
            if (!_done && command.Output == target)
            {
                Inner.Corrupt.Add(target);
                _done = true;
            }

            return result;
        }
    }

    private sealed class CorruptAlways(ScriptedExecutor inner, CheckpointReference target) : DelegatingExecutor(inner)
    {
        public override async Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            ChunkResult result = await base.RunChunkAsync(command, cancellationToken);
            if (command.Output == target)
            {
                Inner.Corrupt.Add(target);
            }

            return result;
        }
    }

    private abstract class DelegatingExecutor(ScriptedExecutor inner) : Ports.ITrainingExecutor
    {
        protected ScriptedExecutor Inner => inner;

        public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) => inner.InitializeAsync(command, cancellationToken);

        public virtual Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default) => inner.RunChunkAsync(command, cancellationToken);

        public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) => inner.MergeAsync(command, cancellationToken);

        public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) => inner.EvaluateAsync(command, cancellationToken);
    }
}
