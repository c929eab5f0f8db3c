using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Tests;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableTrainer.Functions.Tests;

/// <summary>
/// The orchestrator and activity functions, run by a real (in-process) durable engine with a fast scripted
/// executor: the same wrappers the Functions host would call, replayed as the host would replay them.
/// </summary>
public class OrchestrationFunctionTests
{
    private static async Task<(DurableTaskTestHost Host, ScriptedExecutor Executor)> StartAsync()
    {
        var executor = new ScriptedExecutor();
        var functions = FunctionsComposition.Orchestrations(new OneCallAtATime(executor), new RecordingPruner());
        DurableTaskTestHost host = await StartHostAsync(functions);
        return (host, executor);
    }

    /// <summary>
    /// The test host listens on a port it picks at random; another test assembly running at the same time may hold
    /// it (Azurite, a worker), so a bind failure is retried on a new pick.
    /// </summary>
    private static async Task<DurableTaskTestHost> StartHostAsync(TrainingOrchestrationFunctions functions)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartHostOnceAsync(functions);
            }
            catch (IOException exception) when (attempt < 5 && exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
        }
    }

    private static Task<DurableTaskTestHost> StartHostOnceAsync(TrainingOrchestrationFunctions functions) =>
        DurableTaskTestHost.StartAsync(tasks => RegisterTraining(tasks, functions), HostOptions());

    /// <summary>The training orchestration and its activities, through the Functions app's wrappers.</summary>
    internal static void RegisterTraining(DurableTaskRegistry tasks, TrainingOrchestrationFunctions functions)
    {
        tasks.AddOrchestratorFunc<TrainingRunInput, TrainingOutcome>(DurableTaskNames.Orchestration, (context, _) => TrainingOrchestrationFunctions.RunOrchestration(context));
        tasks.AddActivityFunc<InitializeCommand, InitializationResult>(DurableTaskNames.Initialize, (context, command) => functions.Initialize(command, context.InstanceId));
        tasks.AddActivityFunc<ChunkCommand, ChunkResult>(DurableTaskNames.RunChunk, (context, command) => functions.RunChunk(command, context.InstanceId));
        tasks.AddActivityFunc<MergeCommand, Domain.Training.CheckpointReference>(DurableTaskNames.Merge, (context, command) => functions.Merge(command, context.InstanceId));
        tasks.AddActivityFunc<EvaluateCommand, EvaluationResult>(DurableTaskNames.Evaluate, (context, command) => functions.Evaluate(command, context.InstanceId));
        tasks.AddActivityFunc<PruneCommand, int>(DurableTaskNames.Prune, (context, command) => functions.Prune(command, context.InstanceId));
        tasks.AddActivityFunc<RecordMetricsCommand, long>(DurableTaskNames.RecordMetrics, (context, command) => functions.RecordMetrics(command, context.InstanceId));
    }

    /// <summary>The test host with the serializer both real hosts use, logging warnings only.</summary>
    internal static DurableTaskTestHostOptions HostOptions() => new()
    {
        ConfigureServices = services => services.AddSingleton<DataConverter>(new JsonDataConverter(MessageJson.Options)),
        LoggerFactory = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Warning)),
    };

    private static TrainingRunInput Input(string runId, int replicas = 1, long maxSteps = 60, int roundsPerExecution = 50) =>
        new(
            RunId.Parse(runId),
            TrainingSpecification.Create(
                training: new TrainingSection(MaxSteps: maxSteps, BatchSize: 32),
                evaluation: new EvaluationSection(IntervalSteps: 30),
                replicas: new ReplicaSection(replicas)).GetValueOrThrow(),
            new ExecutionSettings(StepsPerChunk: 10, RoundsPerExecution: roundsPerExecution, ActivityFirstRetrySeconds: 0.1));

    [Fact]
    public async Task OrchestratorFunction_RunsToCompletionWithFanOutAndMerges()
    {
        var (host, executor) = await StartAsync();
        await using (host)
        {
            string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(DurableTaskNames.Orchestration, Input("fn-1", replicas: 3), new StartOrchestrationOptions("fn-1"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            TrainingOutcome outcome = done.ReadOutputAs<TrainingOutcome>()!;
            Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
            Assert.Equal(60, outcome.StepsDone);
            Assert.Equal("fn-1/round-000002/merged", outcome.FinalCheckpoint);
            Assert.Equal(6, executor.Calls.OfType<ChunkCommand>().Select(chunk => chunk.Output).Distinct().Count());
            TrainingProgress progress = done.ReadCustomStatusAs<TrainingProgress>()!;
            Assert.Equal(TrainingPhase.Completed, progress.Phase);
            Assert.Equal(60, progress.Step);
        }
    }

    [Fact]
    public async Task OrchestratorFunction_ContinuesAsNewEverySoManyRoundsAndStillFinishesTheWholePlan()
    {
        var (host, executor) = await StartAsync();
        await using (host)
        {
            string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(DurableTaskNames.Orchestration, Input("fn-can", maxSteps: 100, roundsPerExecution: 3), new StartOrchestrationOptions("fn-can"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails}");
            TrainingOutcome outcome = done.ReadOutputAs<TrainingOutcome>()!;
            Assert.Equal(TrainingOutcomeStatus.Completed, outcome.Status);
            Assert.Equal(100, outcome.StepsDone);
            Assert.Equal(4, outcome.Executions);
            Assert.Equal(10, executor.Calls.OfType<ChunkCommand>().Count());
        }
    }

    [Fact]
    public async Task OrchestratorFunction_StopEvent_EndsTheRunStoppedOnACheckpoint()
    {
        var (host, _) = await StartAsync();
        await using (host)
        {
            var slow = Input("fn-stop", maxSteps: 100_000);
            string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(DurableTaskNames.Orchestration, slow, new StartOrchestrationOptions("fn-stop"));
            await host.Client.WaitForInstanceStartAsync(id);
            await host.Client.RaiseEventAsync(id, "stop");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails}");
            TrainingOutcome outcome = done.ReadOutputAs<TrainingOutcome>()!;
            Assert.Equal(TrainingOutcomeStatus.Stopped, outcome.Status);
            Assert.Equal("StopRequested", outcome.StopReason);
            Assert.True(outcome.StepsDone < 100_000);
            Assert.NotNull(outcome.FinalCheckpoint);
            Assert.True(outcome.FinalEvaluation is not null, done.SerializedOutput);
            Assert.Equal(outcome.StepsDone, outcome.FinalEvaluation.Step);
        }
    }

    [Fact]
    public async Task OrchestratorFunction_WhenAChunkKeepsFailing_RetriesThenEndsFailedWithTheReason()
    {
        var executor = new FailingExecutor();
        var functions = FunctionsComposition.Orchestrations(executor, new RecordingPruner());
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
            tasks =>
            {
                tasks.AddOrchestratorFunc<TrainingRunInput, TrainingOutcome>(DurableTaskNames.Orchestration, (context, _) => TrainingOrchestrationFunctions.RunOrchestration(context));
                tasks.AddActivityFunc<InitializeCommand, InitializationResult>(DurableTaskNames.Initialize, (context, command) => functions.Initialize(command, context.InstanceId));
                tasks.AddActivityFunc<ChunkCommand, ChunkResult>(DurableTaskNames.RunChunk, (context, command) => functions.RunChunk(command, context.InstanceId));
                tasks.AddActivityFunc<RecordMetricsCommand, long>(DurableTaskNames.RecordMetrics, (context, command) => functions.RecordMetrics(command, context.InstanceId));
            },
            new DurableTaskTestHostOptions
            {
                ConfigureServices = services => services.AddSingleton<DataConverter>(new JsonDataConverter(MessageJson.Options)),
                LoggerFactory = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Warning)),
            });

        string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(DurableTaskNames.Orchestration, Input("fn-fail"), new StartOrchestrationOptions("fn-fail"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        TrainingOutcome outcome = done.ReadOutputAs<TrainingOutcome>()!;
        Assert.Equal(TrainingOutcomeStatus.Failed, outcome.Status);
        Assert.Contains("chunk exploded", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Equal(3, executor.ChunkAttempts);
        Assert.Equal("fn-fail/initial", outcome.FinalCheckpoint);
    }

    /// <summary>
    /// The host runs the replicas' activities in parallel, and the scripted executor's call list and step table are
    /// not thread-safe (a lost call made the fan-out test flaky); its calls complete synchronously, so one lock serializes them.
    /// </summary>
    private sealed class OneCallAtATime(ITrainingExecutor inner) : ITrainingExecutor
    {
        private readonly Lock _gate = new();

        public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                return inner.InitializeAsync(command, cancellationToken);
            }
        }

        public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                return inner.RunChunkAsync(command, cancellationToken);
            }
        }

        public Task<Domain.Training.CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                return inner.MergeAsync(command, cancellationToken);
            }
        }

        public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                return inner.EvaluateAsync(command, cancellationToken);
            }
        }
    }

    private sealed class FailingExecutor : ITrainingExecutor
    {
        private int _chunkAttempts;

        public int ChunkAttempts => _chunkAttempts;

        public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) =>
            Task.FromResult(new InitializationResult(command.Output, 640, 100, 10));

        public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _chunkAttempts);
            throw new InvalidOperationException("chunk exploded");
        }

        public Task<Domain.Training.CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
