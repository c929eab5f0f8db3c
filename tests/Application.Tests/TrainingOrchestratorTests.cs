using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

public class TrainingOrchestratorTests
{
    private readonly ScriptedExecutor _executor = new();
    private readonly RecordingMonitor _monitor = new();
    private readonly RecordingPruner _pruner = new();

    private static readonly ExecutionSettings ChunksOfTen = new(StepsPerChunk: 10);
    private static readonly ExecutionSettings ChunksOfFifteen = new(StepsPerChunk: 15);
    private static readonly TrainingSection TwoEpochs = new(Epochs: 2, BatchSize: 32);

    private Task<TrainingOutcome> RunAsync(TrainingRunInput input, ScriptedExecutor? executor = null, ITrainingControl? control = null, ITrainingClock? clock = null) =>
        new TrainingOrchestrator(new TrainingOrchestratorPorts(executor ?? _executor, _monitor, _pruner, control, clock), new PureTrainingService())
            .RunAsync(input);

    private static TrainingSection Steps(long maxSteps) => new(MaxSteps: maxSteps, BatchSize: 32);

    [Fact]
    public async Task RunAsync_SingleReplica_TrainsEveryPlannedStepAndEvaluatesOnScheduleAndAtTheEnd()
    {
        // 640 examples / batch 32 = 20 steps per epoch; 2 epochs = 40 steps in chunks of 15 -> 15, 15, 10.
        var outcome = await RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs, new EvaluationSection(IntervalSteps: 30)));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal("PlanCompleted", outcome.StopReason);
        Assert.Equal(40, outcome.StepsDone);
        Assert.Equal(new[] { 15, 15, 10 }, _executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.Steps));
        Assert.Equal(new long[] { 0, 15, 30 }, _executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.ReplicaStepsBefore));
        Assert.All(_executor.Calls.OfType<ChunkCommand>(), chunk => Assert.Equal(40, chunk.TotalSteps));
        var evaluations = _executor.Calls.OfType<EvaluateCommand>().Where(call => call.Split == EvaluationSplit.Validation).ToArray();
        Assert.Equal(2, evaluations.Length);
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 3, 0), evaluations[^1].Checkpoint);
        Assert.Equal(40, outcome.FinalEvaluation!.Step);
        Assert.Equal("run-1/round-000003/replica-00", outcome.FinalCheckpoint);
        // The best checkpoint is the final one here, so the test split measures it once, after training.
        EvaluateCommand test = Assert.Single(_executor.Calls.OfType<EvaluateCommand>(), call => call.Split == EvaluationSplit.Test);
        Assert.Equal(CheckpointReference.ForReplica(RunId.Parse("run-1"), 3, 0), test.Checkpoint);
        Assert.Same(test, _executor.Calls[^1]);
        Assert.Equal(40, outcome.TestEvaluation!.Step);
        Assert.Null(outcome.BestTestEvaluation);
        Assert.Equal("accuracy", outcome.MonitoredMetric);
    }

    [Fact]
    public async Task RunAsync_WithATargetChunkTime_SizesEachRoundFromTheRateTheLastOneReported()
    {
        // The scripted executor reports 0.5 s a chunk whatever its length, so each round's rate is 4x the last one's
        // for a 2 s target: 5 steps, then 20, then 80, then the 95 left of 200.
        var outcome = await RunAsync(TestRuns.Input(new ExecutionSettings(StepsPerChunk: 5, ChunkSeconds: 2), Steps(200), new EvaluationSection(IntervalSteps: 10_000)));

        Assert.Equal(200, outcome.StepsDone);
        Assert.Equal(new[] { 5, 20, 80, 95 }, _executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.Steps));
    }

    [Fact]
    public async Task RunAsync_WithAnExecutorThatMeasuresInChunks_AsksTheChunksForTheForeseenEvaluationsAndCallsNoSeparateOnes()
    {
        var measuring = new ScriptedExecutor { MeasuresInChunks = true };
        var spec = TestRuns.Input(ChunksOfFifteen, TwoEpochs, new EvaluationSection(IntervalSteps: 30));
        var separate = await RunAsync(spec);
        var inChunks = await RunAsync(spec, measuring);

        // 15, 15, 10 steps: the interval of 30 ends in round 2, the plan (and so the test) in round 3.
        Assert.Equal(
            new[] { ForeseenEvaluations.None, new ForeseenEvaluations(true, false), new ForeseenEvaluations(true, true) },
            measuring.Calls.OfType<ChunkCommand>().Select(chunk => chunk.Evaluate));
        Assert.Empty(measuring.Calls.OfType<EvaluateCommand>());
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(separate), System.Text.Json.JsonSerializer.Serialize(inChunks));
    }

    [Fact]
    public async Task RunAsync_WhenReplicasAreMerged_AsksNoChunkToMeasureSinceItsOutputIsNotTheRoundsCheckpoint()
    {
        var measuring = new ScriptedExecutor { MeasuresInChunks = true };
        await RunAsync(TestRuns.Input(ChunksOfTen, Steps(60), replicas: new ReplicaSection(Count: 3)), measuring);

        Assert.All(measuring.Calls.OfType<ChunkCommand>(), chunk => Assert.Equal(ForeseenEvaluations.None, chunk.Evaluate));
        Assert.Contains(measuring.Calls.OfType<EvaluateCommand>(), call => call.Split == EvaluationSplit.Test);
    }

    [Fact]
    public async Task RunAsync_WhenReplicasAreMerged_RunsTheFinalValidationAndTestSideBySideOnTheLastMerge()
    {
        // Each evaluation waits until both are in flight: awaited one after the other, the first would time out.
        var bothStarted = new TaskCompletionSource();
        int started = 0;
        var executor = new ScriptedExecutor
        {
            BeforeEvaluationReturns = _ =>
            {
                if (Interlocked.Increment(ref started) == 2)
                {
                    bothStarted.SetResult();
                }

                return bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(5));
            },
        };

        // 3 replicas of 10 steps a round: 60 steps in 2 rounds, validated only at the end.
        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(60), new EvaluationSection(IntervalSteps: 10_000), replicas: new ReplicaSection(Count: 3)), executor);

        var evaluations = executor.Calls.OfType<EvaluateCommand>().ToArray();
        Assert.Equal(
            new[] { (EvaluationSplit.Validation, CheckpointReference.Merged(RunId.Parse("run-1"), 2)), (EvaluationSplit.Test, CheckpointReference.Merged(RunId.Parse("run-1"), 2)) },
            evaluations.Select(call => (call.Split, call.Checkpoint)));
        Assert.Equal((60L, 60L), (outcome.FinalEvaluation!.Step, outcome.TestEvaluation!.Step));
    }

    [Fact]
    public async Task RunAsync_WhenAForeseenEvaluationAfterAMergeFails_EvaluatesAgainWhenTheLoopWantsIt()
    {
        int validations = 0;
        var executor = new ScriptedExecutor { FailEvaluation = call => call.Split == EvaluationSplit.Validation && ++validations == 1 ? new IOException("blob read reset") : null };
        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(60), new EvaluationSection(IntervalSteps: 10_000), replicas: new ReplicaSection(Count: 3)), executor);

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal(2, executor.Calls.OfType<EvaluateCommand>().Count(call => call.Split == EvaluationSplit.Validation));
        Assert.Equal(60, outcome.FinalEvaluation!.Step);
        Assert.Equal(60, outcome.TestEvaluation!.Step);
    }

    [Fact]
    public async Task RunAsync_WithAnExecutorThatMeasuresInChunks_StillTestsAnEarlierBestCheckpointByACall()
    {
        var measuring = new ScriptedExecutor { MeasuresInChunks = true };
        var outcome = await RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs, new EvaluationSection(IntervalSteps: 15, Metric: MonitorMetric.Loss, Mode: MonitorMode.Max)), measuring);

        EvaluateCommand test = Assert.Single(measuring.Calls.OfType<EvaluateCommand>());
        Assert.Equal((EvaluationSplit.Test, CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0)), (test.Split, test.Checkpoint));
        Assert.Equal((40L, 15L), (outcome.TestEvaluation!.Step, outcome.BestTestEvaluation!.Step));
    }

    [Fact]
    public async Task RunAsync_WhenARoundIsRolledBack_DoesNotUseWhatItsChunkMeasured()
    {
        // The second chunk diverges once: its measurement goes with it, and the retried round's own is used.
        int chunks = 0;
        var measuring = new ScriptedExecutor { MeasuresInChunks = true, LossOverride = _ => ++chunks == 2 ? double.NaN : null };
        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(20), new EvaluationSection(IntervalSteps: 10)), measuring);

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal(3, measuring.Calls.OfType<ChunkCommand>().Count());
        Assert.Empty(measuring.Calls.OfType<EvaluateCommand>());
        Assert.Equal(20, outcome.FinalEvaluation!.Step);
        Assert.Equal(1, outcome.RollbacksUsed);
    }

    [Fact]
    public async Task RunAsync_WhenTheBestCheckpointIsEarlier_TestsBothTheFinalAndTheBest()
    {
        // Monitoring the loss with mode max makes the first evaluation the best: an earlier checkpoint than the final one.
        var outcome = await RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs, new EvaluationSection(IntervalSteps: 15, Metric: MonitorMetric.Loss, Mode: MonitorMode.Max)));

        var tests = _executor.Calls.OfType<EvaluateCommand>().Where(call => call.Split == EvaluationSplit.Test).Select(call => call.Checkpoint).ToArray();
        Assert.Equal(new[] { CheckpointReference.ForReplica(RunId.Parse("run-1"), 3, 0), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0) }, tests);
        Assert.Equal((40L, 15L), (outcome.TestEvaluation!.Step, outcome.BestTestEvaluation!.Step));
        Assert.Equal("run-1/round-000001/replica-00", outcome.BestCheckpoint);
    }

    [Fact]
    public async Task RunAsync_WhenTestingFails_KeepsTheRunCompletedAndSaysWhy()
    {
        var executor = new ScriptedExecutor { FailEvaluation = command => command.Split == EvaluationSplit.Test ? new InvalidOperationException("test split unreadable") : null };
        var outcome = await new TrainingOrchestrator(new TrainingOrchestratorPorts(executor, new RecordingMonitor(), new RecordingPruner()), new PureTrainingService())
            .RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Null(outcome.TestEvaluation);
        Assert.Equal("test split unreadable", outcome.TestFailure);
    }

    [Fact]
    public async Task RunAsync_EachChunkStartsFromThePreviousRoundsCheckpoint()
    {
        await RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs));

        var chunks = _executor.Calls.OfType<ChunkCommand>().ToArray();
        Assert.Equal(CheckpointReference.Initial(RunId.Parse("run-1")), chunks[0].Start);
        for (int i = 1; i < chunks.Length; i++)
        {
            Assert.Equal(chunks[i - 1].Output, chunks[i].Start);
        }
    }

    [Fact]
    public async Task RunAsync_WithReplicas_FansOutOneChunkPerReplicaAveragesAndPrunesTheReplicaOutputs()
    {
        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(60), replicas: new ReplicaSection(Count: 3)));

        Assert.Equal(60, outcome.StepsDone);
        var chunks = _executor.Calls.OfType<ChunkCommand>().ToArray();
        Assert.Equal(6, chunks.Length);
        Assert.All(chunks, chunk => Assert.Equal(3, chunk.ReplicaCount));
        Assert.Equal(new[] { 0, 1, 2 }, chunks.Take(3).Select(chunk => chunk.Replica));
        Assert.Equal(6, chunks.Select(chunk => chunk.Output).Distinct().Count());
        var merges = _executor.Calls.OfType<MergeCommand>().ToArray();
        Assert.Equal(2, merges.Length);
        Assert.All(merges, merge => Assert.Equal(MergeStrategy.Average, merge.Merge.Merge));
        Assert.Equal(CheckpointReference.Merged(RunId.Parse("run-1"), 1), chunks[3].Start);
        Assert.Equal(chunks.Take(3).Select(chunk => chunk.Output), merges[0].Replicas);
        Assert.Subset(_pruner.Pruned.ToHashSet(), chunks.Select(chunk => chunk.Output).ToHashSet());
    }

    [Fact]
    public async Task RunAsync_WithOuterNesterov_ChainsTheMomentumBufferAndPrunesTheOldOne()
    {
        await RunAsync(TestRuns.Input(
            ChunksOfTen, Steps(60), replicas: new ReplicaSection(Count: 2, Merge: MergeStrategy.OuterNesterov, OuterLearningRate: 0.5, OuterMomentum: 0.8)));

        var merges = _executor.Calls.OfType<MergeCommand>().ToArray();
        Assert.Equal(3, merges.Length);
        Assert.Null(merges[0].MomentumIn);
        Assert.Equal(merges[0].MomentumOut, merges[1].MomentumIn);
        Assert.Equal(merges[1].MomentumOut, merges[2].MomentumIn);
        Assert.Equal(CheckpointReference.Initial(RunId.Parse("run-1")), merges[0].Start);
        Assert.Equal(merges[0].Output, merges[1].Start);
        Assert.All(merges, merge => Assert.Equal((MergeStrategy.OuterNesterov, 0.5, 0.8), (merge.Merge.Merge, merge.Merge.OuterLearningRate, merge.Merge.OuterMomentum)));
        Assert.Contains(merges[0].MomentumOut!, _pruner.Pruned);
        Assert.DoesNotContain(merges[2].MomentumOut!, _pruner.Pruned);
    }

    [Fact]
    public async Task RunAsync_WhenAChunkFails_EndsFailedWithTheReasonAndRunsNothingMore()
    {
        var executor = new ScriptedExecutor { FailChunk = chunk => chunk.Output.Name.Contains("round-000002", StringComparison.Ordinal) ? new InvalidOperationException("disk on fire") : null };

        var outcome = await RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs), executor);

        Assert.Equal(TrainingOutcomeStatus.Failed, outcome.Status);
        Assert.Equal("disk on fire", outcome.FailureReason);
        Assert.Equal(15, outcome.StepsDone);
        Assert.Equal("run-1/round-000001/replica-00", outcome.FinalCheckpoint);
        Assert.Equal(2, executor.Calls.OfType<ChunkCommand>().Count());
    }

    [Fact]
    public async Task RunAsync_WhenARoundDiverges_RollsBackAndRetriesTheRoundWithAHalvedLearningRate()
    {
        int attempts = 0;
        var executor = new ScriptedExecutor
        {
            LossOverride = chunk => chunk.Output.Name.StartsWith("round-000002", StringComparison.Ordinal) && attempts++ == 0 ? double.NaN : null,
        };

        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(40)), executor);

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal(40, outcome.StepsDone);
        Assert.Equal(1, outcome.RollbacksUsed);
        var chunks = executor.Calls.OfType<ChunkCommand>().ToArray();
        Assert.Equal(5, chunks.Length);
        Assert.Equal(chunks[1].Start, chunks[2].Start);
        Assert.Equal(new[] { 1.0, 1.0, 0.5, 0.5, 0.5 }, chunks.Select(chunk => chunk.LearningRateScale));
        Assert.Contains(CheckpointReference.ForReplica(RunId.Parse("run-1"), 2, 0), _pruner.Pruned);
    }

    [Fact]
    public async Task RunAsync_WhenDivergenceOutlastsTheRollbacks_FailsAndKeepsTheLastGoodCheckpoint()
    {
        var executor = new ScriptedExecutor { LossOverride = chunk => chunk.Output.Name.StartsWith("round-000002", StringComparison.Ordinal) ? double.PositiveInfinity : null };

        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(40), stopping: new StoppingSection(MaxRollbacks: 2)), executor);

        Assert.Equal(TrainingOutcomeStatus.Failed, outcome.Status);
        Assert.Contains("after 2 rollback", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Equal("run-1/round-000001/replica-00", outcome.FinalCheckpoint);
        Assert.DoesNotContain(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0), _pruner.Pruned);
    }

    [Fact]
    public async Task RunAsync_WhenTargetReached_StopsBeforeThePlanEnds()
    {
        var outcome = await RunAsync(TestRuns.Input(ChunksOfTen, Steps(200), new EvaluationSection(IntervalSteps: 10), new StoppingSection(TargetMetric: 0.5)));

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.Equal("TargetReached", outcome.StopReason);
        Assert.True(outcome.StepsDone < 200);
        Assert.True(outcome.FinalEvaluation!.Score("accuracy") >= 0.5);
    }

    [Fact]
    public async Task RunAsync_WhenTheTimeBudgetRunsOut_StopsWithAFinalEvaluation()
    {
        // Every clock read moves 10 s on; the budget of 45 s is spent after a few rounds.
        var outcome = await RunAsync(
            TestRuns.Input(ChunksOfTen, Steps(1000), stopping: new StoppingSection(TimeBudgetSeconds: 45)), clock: new SteppingClock(TimeSpan.FromSeconds(10)));

        Assert.Equal(TrainingOutcomeStatus.Stopped, outcome.Status);
        Assert.Equal("TimeBudgetExhausted", outcome.StopReason);
        Assert.InRange(outcome.StepsDone, 10, 60);
        Assert.Equal(outcome.StepsDone, outcome.FinalEvaluation!.Step);
    }

    [Fact]
    public async Task RunAsync_PrunesOldCheckpointsButKeepsTheNewestAndTheBest()
    {
        var outcome = await RunAsync(TestRuns.Input(
            ChunksOfTen, Steps(100), new EvaluationSection(IntervalSteps: 10), checkpoints: new CheckpointSection(IntervalSteps: 30, KeepLast: 1)));

        Assert.DoesNotContain(CheckpointReference.ForReplica(RunId.Parse("run-1"), 10, 0), _pruner.Pruned);
        Assert.Contains(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0), _pruner.Pruned);
        Assert.Contains(CheckpointReference.Initial(RunId.Parse("run-1")), _pruner.Pruned);
        Assert.DoesNotContain(new CheckpointReference(RunId.Parse("run-1"), outcome.BestCheckpoint!.Split('/', 2)[1]), _pruner.Pruned);
    }

    [Fact]
    public async Task RunAsync_WithAnInvalidSpecification_FailsWithoutCallingTheExecutor()
    {
        // Only reachable when the orchestration is started around the use case (or its stored input is altered):
        // the loop must fail loudly rather than train on values nobody checked.
        TrainingSpecification invalid = TrainingSpecification.Default with { Training = TrainingSpecification.Default.Training with { BatchSize = -1 } };

        var outcome = await RunAsync(new TrainingRunInput(RunId.Parse("run-1"), invalid, ExecutionSettings.Default));

        Assert.Equal(TrainingOutcomeStatus.Failed, outcome.Status);
        Assert.Contains("training.batchSize", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Empty(_executor.Calls);
    }

    [Fact]
    public async Task RunAsync_ReportsProgressEveryRoundAndTheFinalPhase()
    {
        await RunAsync(TestRuns.Input(ChunksOfFifteen, TwoEpochs));

        Assert.Equal(TrainingPhase.Initializing, _monitor.Reports[0].Phase);
        Assert.Equal(TrainingPhase.Completed, _monitor.Reports[^1].Phase);
        Assert.Equal(40, _monitor.Reports[^1].Step);
        Assert.Equal(40, _monitor.Reports[^1].TotalSteps);
        Assert.Equal(_monitor.Reports.Select(report => report.Step).Order(), _monitor.Reports.Select(report => report.Step));
    }
}
