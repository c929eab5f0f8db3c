using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Tests;

/// <summary>A run cut into several executions (continue-as-new) must end exactly as the same run in one execution.</summary>
public class ContinueAsNewTests
{
    // The specification's JSON form (camelCase, kebab-case enumerations), as a durable engine would store the next input.
    private static readonly JsonSerializerOptions Json = SpecificationJson.Options;

    private static TrainingRunInput Input(int roundsPerExecution, long maxSteps = 200) => TestRuns.Input(
        new ExecutionSettings(StepsPerChunk: 10, RoundsPerExecution: roundsPerExecution),
        new TrainingSection(MaxSteps: maxSteps, BatchSize: 32),
        new EvaluationSection(IntervalSteps: 40),
        new StoppingSection(PlateauPatience: 1),
        new CheckpointSection(IntervalSteps: 40, KeepLast: 2),
        new ReplicaSection(Count: 2, Merge: MergeStrategy.OuterNesterov));

    [Fact]
    public async Task ARunThroughSeveralContinuations_EndsExactlyLikeTheSameRunInOneExecution()
    {
        var (single, singleCalls, _) = await RunAsync(Input(roundsPerExecution: 1000));
        var (continued, continuedCalls, executions) = await RunAsync(Input(roundsPerExecution: 3));

        Assert.True(executions >= 3, $"only {executions} executions");
        Assert.Equal(single with { Executions = 0 }, continued with { Executions = 0 });
        Assert.Equal(executions, continued.Executions);
        Assert.Equal(singleCalls.Select(call => JsonSerializer.Serialize(call, call.GetType(), Json)), continuedCalls.Select(call => JsonSerializer.Serialize(call, call.GetType(), Json)));
    }

    [Fact]
    public async Task TheStateHandedOverAndTheCustomStatus_StaySmallHoweverLongTheRun()
    {
        var executor = new ScriptedExecutor { TrainExamples = 100_000 };
        var continuation = new RecordingContinuation();
        var monitor = new RecordingMonitor();
        var orchestrator = new TrainingOrchestrator(new TrainingOrchestratorPorts(executor, monitor, new RecordingPruner(), Continuation: continuation), new PureTrainingService());
        TrainingRunInput input = Input(roundsPerExecution: 200, maxSteps: 1_000_000);
        for (int execution = 0; execution < 5; execution++)
        {
            TrainingOutcome outcome = await orchestrator.RunAsync(input);
            Assert.True(continuation.Next is not null, $"Execution {execution} ended: {outcome}");
            input = continuation.Next;
        }

        Assert.True(JsonSerializer.SerializeToUtf8Bytes(input, Json).Length < 48 * 1024);
        // Custom status is stored with every orchestration update; Durable Functions caps it at 16 KB.
        Assert.True(monitor.Reports.Max(report => JsonSerializer.SerializeToUtf8Bytes(report, Json).Length) < 16 * 1024);
    }

    /// <summary>Plays the durable engine's part: runs an execution, and if it continued as new, runs the next.</summary>
    private static async Task<(TrainingOutcome Outcome, List<object> Calls, int Executions)> RunAsync(TrainingRunInput input)
    {
        var executor = new ScriptedExecutor();
        int executions = 0;
        while (true)
        {
            executions++;
            var continuation = new RecordingContinuation();
            var orchestrator = new TrainingOrchestrator(new TrainingOrchestratorPorts(executor, new RecordingMonitor(), new RecordingPruner(), Continuation: continuation), new PureTrainingService());
            TrainingOutcome outcome = await orchestrator.RunAsync(input);
            if (outcome.Status != TrainingOutcomeStatus.ContinuedAsNew)
            {
                return (outcome, executor.Calls, executions);
            }

            // What a durable engine would store and hand back: a JSON round trip of the next input.
            input = JsonSerializer.Deserialize<TrainingRunInput>(JsonSerializer.Serialize(continuation.Next!, Json), Json)!;
        }
    }
}
