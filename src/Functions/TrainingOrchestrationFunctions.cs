using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Sweeps;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;
using DurableTrainer.Durable.Activities;
using DurableTrainer.Durable.Adapters;
using DurableTrainer.Durable.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableTrainer.Functions;

/// <summary>
/// The orchestrator and activity functions: hand-written wrappers (the DurableTask source generator is not
/// available here) that delegate to the very classes the self-hosted worker registers.
/// </summary>
public sealed class TrainingOrchestrationFunctions(
    ITrainingExecutor executor,
    ICheckpointPruner pruner,
    ITrainingJournal? journal = null,
    ISweepStore? sweeps = null,
    IDatasetCatalog? datasets = null,
    IModelCatalog? models = null)
{
    // Stateless, so one instance serves every orchestration (the Functions host may run many at once).
    private static readonly TrainingOrchestration Orchestration = new();
    private static readonly SweepOrchestration Sweep = new();

    [Function(DurableTaskNames.SweepOrchestration)]
    public static Task<SweepOutcome> RunSweep([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SweepInput input = context.GetInput<SweepInput>()
            ?? throw new InvalidOperationException($"Sweep {context.InstanceId} was started without an input.");
        return Sweep.RunAsync(context, input);
    }

    [Function(DurableTaskNames.StartTrial)]
    public Task<StartTrialResult> StartTrial([ActivityTrigger] StartTrialCommand command, [DurableClient] DurableTaskClient client) =>
        StartTrialWith(new DurableTaskClientRuns(client), command);

    /// <summary>The start-trial activity's work, given the run starter of this host's task hub.</summary>
    public Task<StartTrialResult> StartTrialWith(ITrainingRunStarter runs, StartTrialCommand command) =>
        new StartTrialActivity(new StartTrialHandler(Require(sweeps), Require(datasets), Require(models), runs))
            .RunAsync(new ActivityInvocation(DurableTaskNames.StartTrial, command.SweepId), command);

    [Function(DurableTaskNames.FindLostTrials)]
    public static Task<IReadOnlyList<LostTrial>> FindLostTrials([ActivityTrigger] FindLostTrialsCommand command, [DurableClient] DurableTaskClient client) =>
        FindLostTrialsWith(new DurableTaskClientRuns(client), command);

    /// <summary>The find-lost-trials activity's work, given the runs of this host's task hub.</summary>
    public static Task<IReadOnlyList<LostTrial>> FindLostTrialsWith(ITrainingRunStarter runs, FindLostTrialsCommand command) =>
        new FindLostTrialsActivity(new FindLostTrialsHandler(runs))
            .RunAsync(new ActivityInvocation(DurableTaskNames.FindLostTrials, command.SweepId), command);

    [Function(DurableTaskNames.RecordSweep)]
    public Task<int> RecordSweep([ActivityTrigger] SweepRecordUpdate update) =>
        new RecordSweepActivity(new RecordSweepHandler(Require(sweeps)))
            .RunAsync(new ActivityInvocation(DurableTaskNames.RecordSweep, update.SweepId), update);

    private static T Require<T>(T? service)
        where T : class =>
        service ?? throw new InvalidOperationException($"Sweeps need {typeof(T).Name}, which this host did not register.");

    [Function(DurableTaskNames.Orchestration)]
    public static Task<TrainingOutcome> RunOrchestration([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        TrainingRunInput input = context.GetInput<TrainingRunInput>()
            ?? throw new InvalidOperationException($"Orchestration {context.InstanceId} was started without an input.");
        return Orchestration.RunAsync(context, input);
    }

    [Function(DurableTaskNames.Initialize)]
    public Task<InitializationResult> Initialize([ActivityTrigger] InitializeCommand command, string instanceId) =>
        new InitializeTrainingActivity(executor).RunAsync(new ActivityInvocation(DurableTaskNames.Initialize, instanceId), command);

    [Function(DurableTaskNames.RunChunk)]
    public Task<ChunkResult> RunChunk([ActivityTrigger] ChunkCommand command, string instanceId) =>
        new RunChunkActivity(executor, journal).RunAsync(new ActivityInvocation(DurableTaskNames.RunChunk, instanceId), command);

    [Function(DurableTaskNames.Merge)]
    public Task<CheckpointReference> Merge([ActivityTrigger] MergeCommand command, string instanceId) =>
        new MergeReplicasActivity(executor).RunAsync(new ActivityInvocation(DurableTaskNames.Merge, instanceId), command);

    [Function(DurableTaskNames.Evaluate)]
    public Task<EvaluationResult> Evaluate([ActivityTrigger] EvaluateCommand command, string instanceId) =>
        new EvaluateCheckpointActivity(executor).RunAsync(new ActivityInvocation(DurableTaskNames.Evaluate, instanceId), command);

    [Function(DurableTaskNames.Prune)]
    public Task<int> Prune([ActivityTrigger] PruneCommand command, string instanceId) =>
        new PruneCheckpointsActivity(pruner).RunAsync(new ActivityInvocation(DurableTaskNames.Prune, instanceId), command);

    [Function(DurableTaskNames.RecordMetrics)]
    public Task<int> RecordMetrics([ActivityTrigger] RecordMetricsCommand command, string instanceId) =>
        new RecordMetricsActivity(journal ?? NoTrainingJournal.Instance).RunAsync(new ActivityInvocation(DurableTaskNames.RecordMetrics, instanceId), command);
}
