using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

public class TrainingOrchestratorTests
{
    private readonly ScriptedExecutor _executor = new();
    private readonly RecordingMonitor _monitor = new();

    private Task<TrainingOutcome> RunAsync(TrainingRequest request, ScriptedExecutor? executor = null) =>
        new TrainingOrchestrator(executor ?? _executor, _monitor, new PureTrainingService())
            .RunAsync(new TrainingRunInput("run-1", request));

    [Fact]
    public async Task RunAsync_SingleReplica_TrainsEveryPlannedStepAndEvaluatesOnScheduleAndAtTheEnd()
    {
        // 640 examples / batch 32 = 20 steps per epoch; 2 epochs = 40 steps in chunks of 15 -> 15, 15, 10.
        var outcome = await RunAsync(new TrainingRequest { BatchSize = 32, Epochs = 2, StepsPerChunk = 15, EvaluationIntervalSteps = 30 });

        Assert.Equal("Completed", outcome.Status);
        Assert.Equal("PlanCompleted", outcome.StopReason);
        Assert.Equal(40, outcome.StepsDone);
        Assert.Equal(new[] { 15, 15, 10 }, _executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.Steps));
        Assert.Equal(new long[] { 0, 15, 30 }, _executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.ReplicaStepsBefore));
        var evaluations = _executor.Calls.OfType<EvaluateCommand>().ToArray();
        Assert.Equal(2, evaluations.Length);
        Assert.Equal(CheckpointReference.ForReplica("run-1", 3, 0), evaluations[^1].Checkpoint);
        Assert.Equal(40, outcome.FinalEvaluation!.Step);
        Assert.Equal("run-1/round-000003/replica-00", outcome.FinalCheckpoint);
    }

    [Fact]
    public async Task RunAsync_EachChunkStartsFromThePreviousRoundsCheckpoint()
    {
        await RunAsync(new TrainingRequest { BatchSize = 32, Epochs = 2, StepsPerChunk = 15 });

        var chunks = _executor.Calls.OfType<ChunkCommand>().ToArray();
        Assert.Equal(CheckpointReference.Initial("run-1"), chunks[0].Start);
        for (int i = 1; i < chunks.Length; i++)
        {
            Assert.Equal(chunks[i - 1].Output, chunks[i].Start);
        }
    }

    [Fact]
    public async Task RunAsync_WithReplicas_FansOutOneChunkPerReplicaAndMergesEachRound()
    {
        var outcome = await RunAsync(new TrainingRequest { BatchSize = 32, MaxSteps = 60, Replicas = 3, StepsPerChunk = 10 });

        Assert.Equal(60, outcome.StepsDone);
        var chunks = _executor.Calls.OfType<ChunkCommand>().ToArray();
        Assert.Equal(6, chunks.Length);
        Assert.All(chunks, chunk => Assert.Equal(3, chunk.ReplicaCount));
        Assert.Equal(new[] { 0, 1, 2 }, chunks.Take(3).Select(chunk => chunk.Replica));
        Assert.Equal(6, chunks.Select(chunk => chunk.Output).Distinct().Count());
        var merges = _executor.Calls.OfType<MergeCommand>().ToArray();
        Assert.Equal(2, merges.Length);
        Assert.Equal(CheckpointReference.Merged("run-1", 1), chunks[3].Start);
        Assert.Equal(chunks.Take(3).Select(chunk => chunk.Output), merges[0].Replicas);
    }

    [Fact]
    public async Task RunAsync_WhenAChunkFails_EndsFailedWithTheReasonAndRunsNothingMore()
    {
        var executor = new ScriptedExecutor { FailChunk = chunk => chunk.Output.Name.Contains("round-000002", StringComparison.Ordinal) ? new InvalidOperationException("disk on fire") : null };

        var outcome = await RunAsync(new TrainingRequest { BatchSize = 32, Epochs = 2, StepsPerChunk = 15 }, executor);

        Assert.Equal("Failed", outcome.Status);
        Assert.Equal("disk on fire", outcome.FailureReason);
        Assert.Equal(15, outcome.StepsDone);
        Assert.Equal("run-1/round-000001/replica-00", outcome.FinalCheckpoint);
        Assert.Equal(2, executor.Calls.OfType<ChunkCommand>().Count());
    }

    [Fact]
    public async Task RunAsync_WhenTargetAccuracyReached_StopsBeforeThePlanEnds()
    {
        var outcome = await RunAsync(new TrainingRequest { BatchSize = 32, MaxSteps = 200, StepsPerChunk = 10, EvaluationIntervalSteps = 10, TargetAccuracy = 0.5 });

        Assert.Equal("TargetReached", outcome.StopReason);
        Assert.True(outcome.StepsDone < 200);
        Assert.True(outcome.FinalEvaluation!.Accuracy >= 0.5);
    }

    [Fact]
    public async Task RunAsync_WithInvalidRequest_FailsWithoutCallingTheExecutor()
    {
        var outcome = await RunAsync(new TrainingRequest { BatchSize = -1 });

        Assert.Equal("Failed", outcome.Status);
        Assert.Contains("batchSize", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Empty(_executor.Calls);
    }

    [Fact]
    public async Task RunAsync_ReportsProgressEveryRoundAndTheFinalPhase()
    {
        await RunAsync(new TrainingRequest { BatchSize = 32, Epochs = 2, StepsPerChunk = 15 });

        Assert.Equal("Initializing", _monitor.Reports[0].Phase);
        Assert.Equal("Completed", _monitor.Reports[^1].Phase);
        Assert.Equal(40, _monitor.Reports[^1].Step);
        Assert.Equal(40, _monitor.Reports[^1].TotalSteps);
        Assert.Equal(_monitor.Reports.Select(report => report.Step).Order(), _monitor.Reports.Select(report => report.Step));
    }
}
