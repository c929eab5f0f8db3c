using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;
using DurableTrainer.Durable.Activities;
using DurableTrainer.Durable.Adapters;
using DurableTrainer.Durable.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Functions;

/// <summary>
/// The orchestrator and activity functions: hand-written wrappers (the DurableTask source generator is not
/// available here) that delegate to the very classes the self-hosted worker registers, created from the container
/// as the worker creates them.
/// </summary>
public sealed class TrainingOrchestrationFunctions(IServiceProvider services)
{
    // Stateless, so one instance serves every orchestration (the Functions host may run many at once).
    private static readonly TrainingOrchestration Orchestration = new();
    private static readonly SweepOrchestration Sweep = new();
    private static readonly PredictionOrchestration Prediction = new();

    [Function(DurableTaskNames.Orchestration)]
    public static Task<TrainingOutcome> RunOrchestration([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        TrainingRunInput input = context.GetInput<TrainingRunInput>()
            ?? throw new InvalidOperationException($"Orchestration {context.InstanceId} was started without an input.");
        return Orchestration.RunAsync(context, input);
    }

    [Function(DurableTaskNames.SweepOrchestration)]
    public static Task<SweepOutcome> RunSweep([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SweepInput input = context.GetInput<SweepInput>()
            ?? throw new InvalidOperationException($"Sweep {context.InstanceId} was started without an input.");
        return Sweep.RunAsync(context, input);
    }

    [Function(DurableTaskNames.PredictionOrchestration)]
    public static Task<PredictionManifest?> RunPrediction([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        PredictionJobInput input = context.GetInput<PredictionJobInput>()
            ?? throw new InvalidOperationException($"Prediction job {context.InstanceId} was started without an input.");
        return Prediction.RunAsync(context, input);
    }

    [Function(DurableTaskNames.Initialize)]
    public Task<InitializationResult> Initialize([ActivityTrigger] InitializeCommand command, string instanceId) =>
        Activity<InitializeTrainingActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.Initialize, instanceId), command);

    [Function(DurableTaskNames.RunChunk)]
    public Task<ChunkResult> RunChunk([ActivityTrigger] ChunkCommand command, string instanceId) =>
        Activity<RunChunkActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.RunChunk, instanceId), command);

    [Function(DurableTaskNames.Merge)]
    public Task<CheckpointReference> Merge([ActivityTrigger] MergeCommand command, string instanceId) =>
        Activity<MergeReplicasActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.Merge, instanceId), command);

    [Function(DurableTaskNames.Evaluate)]
    public Task<EvaluationResult> Evaluate([ActivityTrigger] EvaluateCommand command, string instanceId) =>
        Activity<EvaluateCheckpointActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.Evaluate, instanceId), command);

    [Function(DurableTaskNames.Prune)]
    public Task<int> Prune([ActivityTrigger] PruneCommand command, string instanceId) =>
        Activity<PruneCheckpointsActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.Prune, instanceId), command);

    [Function(DurableTaskNames.RecordMetrics)]
    public Task<long> RecordMetrics([ActivityTrigger] RecordMetricsCommand command, string instanceId) =>
        Activity<RecordMetricsActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.RecordMetrics, instanceId), command);

    [Function(DurableTaskNames.StartTrial)]
    public async Task<StartTrialResult> StartTrial([ActivityTrigger] StartTrialCommand command, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var scope = InvocationDurableClient.Use(client);
        return await Activity<StartTrialActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.StartTrial, command.SweepId), command);
    }

    [Function(DurableTaskNames.FindLostTrials)]
    public async Task<IReadOnlyList<LostTrial>> FindLostTrials([ActivityTrigger] FindLostTrialsCommand command, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var scope = InvocationDurableClient.Use(client);
        return await Activity<FindLostTrialsActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.FindLostTrials, command.SweepId), command);
    }

    [Function(DurableTaskNames.RecordSweep)]
    public Task<int> RecordSweep([ActivityTrigger] SweepRecordUpdate update) =>
        Activity<RecordSweepActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.RecordSweep, update.SweepId), update);

    [Function(DurableTaskNames.PredictPart)]
    public Task<PredictionPartResult> PredictPart([ActivityTrigger] PredictPartCommand command, string instanceId) =>
        Activity<PredictPartActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.PredictPart, instanceId), command);

    [Function(DurableTaskNames.SummarizePredictions)]
    public Task<EvaluationMetrics> SummarizePredictions([ActivityTrigger] SummarizePredictionsCommand command, string instanceId) =>
        Activity<SummarizePredictionsActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.SummarizePredictions, instanceId), command);

    [Function(DurableTaskNames.WritePredictionManifest)]
    public Task<int> WritePredictionManifest([ActivityTrigger] WriteManifestCommand command, string instanceId) =>
        Activity<WritePredictionManifestActivity>().RunAsync(new ActivityInvocation(DurableTaskNames.WritePredictionManifest, instanceId), command);

    private T Activity<T>()
        where T : ITaskActivity => ActivatorUtilities.GetServiceOrCreateInstance<T>(services);
}
