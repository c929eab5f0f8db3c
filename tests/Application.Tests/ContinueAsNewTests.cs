using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Decisions;

namespace DurableTrainer.Application.Tests;

/// <summary>A run cut into several executions (continue-as-new) must end exactly as the same run in one execution.</summary>
public class ContinueAsNewTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static TrainingRequest Request(int roundsPerExecution) => new()
    {
        BatchSize = 32, MaxSteps = 200, StepsPerChunk = 10, Replicas = 2, MergeStrategy = "outer-nesterov",
        EvaluationIntervalSteps = 40, CheckpointIntervalSteps = 40, KeepLastCheckpoints = 2, PlateauPatience = 1, RoundsPerExecution = roundsPerExecution,
    };

    [Fact]
    public async Task ARunThroughSeveralContinuations_EndsExactlyLikeTheSameRunInOneExecution()
    {
        var (single, singleCalls, _) = await RunAsync(Request(roundsPerExecution: 1000));
        var (continued, continuedCalls, executions) = await RunAsync(Request(roundsPerExecution: 3));

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
        var input = new TrainingRunInput("run-1", Request(roundsPerExecution: 200) with { MaxSteps = 1_000_000 });
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
    private static async Task<(TrainingOutcome Outcome, List<object> Calls, int Executions)> RunAsync(TrainingRequest request)
    {
        var executor = new ScriptedExecutor();
        var input = new TrainingRunInput("run-1", request);
        int executions = 0;
        while (true)
        {
            executions++;
            var continuation = new RecordingContinuation();
            var orchestrator = new TrainingOrchestrator(new TrainingOrchestratorPorts(executor, new RecordingMonitor(), new RecordingPruner(), Continuation: continuation), new PureTrainingService());
            TrainingOutcome outcome = await orchestrator.RunAsync(input);
            if (outcome.Status != TrainingOutcome.ContinuedAsNew)
            {
                return (outcome, executor.Calls, executions);
            }

            // What a durable engine would store and hand back: a JSON round trip of the next input.
            input = JsonSerializer.Deserialize<TrainingRunInput>(JsonSerializer.Serialize(continuation.Next!, Json), Json)!;
        }
    }
}
