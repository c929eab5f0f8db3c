using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Tests;

public class TrainingControlTests
{
    private readonly ScriptedExecutor _executor = new();
    private readonly RecordingMonitor _monitor = new();

    private Task<TrainingOutcome> RunAsync(ScriptedControl control) =>
        new TrainingOrchestrator(new TrainingOrchestratorPorts(_executor, _monitor, new RecordingPruner(), control), new PureTrainingService())
            .RunAsync(TestRuns.Input(
                new ExecutionSettings(StepsPerChunk: 10),
                new TrainingSection(MaxSteps: 100, BatchSize: 32),
                new EvaluationSection(IntervalSteps: 1000)));

    [Fact]
    public async Task StopRequested_FinishesTheRoundEvaluatesAndEndsStopped()
    {
        var outcome = await RunAsync(new ScriptedControl { StopAfterAsking = 1 });

        Assert.Equal(TrainingOutcomeStatus.Stopped, outcome.Status);
        Assert.Equal("StopRequested", outcome.StopReason);
        Assert.Equal(20, outcome.StepsDone);
        Assert.Equal(20, outcome.FinalEvaluation!.Step);
        Assert.Equal("run-1/round-000002/replica-00", outcome.FinalCheckpoint);
        Assert.Equal(2, _executor.Calls.OfType<ChunkCommand>().Count());
    }

    [Fact]
    public async Task AdjustRequested_ChangesTheScaleFromTheNextRoundOn()
    {
        await RunAsync(new ScriptedControl { ScalesAtAsking = new() { [3] = 0.5, [6] = 2.0 } });

        double[] scales = _executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.LearningRateScale).ToArray();
        Assert.Equal(new[] { 1.0, 1.0, 0.5, 0.5, 0.5, 2.0, 2.0, 2.0, 2.0, 2.0 }, scales);
        Assert.Equal(2.0, _monitor.Reports[^1].LearningRateScale);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(1000.0)]
    public async Task AdjustRequested_OutOfRange_IsIgnored(double scale)
    {
        var outcome = await RunAsync(new ScriptedControl { ScalesAtAsking = new() { [2] = scale } });

        Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
        Assert.All(_executor.Calls.OfType<ChunkCommand>(), chunk => Assert.Equal(1.0, chunk.LearningRateScale));
    }
}
