using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Training;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Orchestrations;

/// <summary>
/// The durable face of <see cref="TrainingOrchestrator"/>: it wires the loop to activities, custom status, external
/// events, the orchestration clock and continue-as-new. It holds no state of its own, so one instance may serve
/// every run (the Functions host shares it).
/// </summary>
public sealed class TrainingOrchestration : TaskOrchestrator<TrainingRunInput, TrainingOutcome>
{
    public override Task<TrainingOutcome> RunAsync(TaskOrchestrationContext context, TrainingRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        TaskOptions activityOptions = ActivityOptions(input.Execution);
        var control = new ExternalEventControl(context);
        var orchestrator = new TrainingOrchestrator(
            new TrainingOrchestratorPorts(
                new ActivityTrainingExecutor(context, activityOptions),
                new CustomStatusMonitor(context),
                new ActivityCheckpointPruner(context, activityOptions),
                control,
                new OrchestrationClock(context),
                new ContinueAsNewContinuation(context),
                new ActivityTrainingJournal(context, activityOptions),
                input.Trial is null ? null : new EventSweepChannel(context, control)),
            new PureTrainingService());
        return orchestrator.RunAsync(input);
    }

    /// <summary>
    /// Activities are idempotent (outputs named by run, round and replica), so a failed attempt simply runs again,
    /// with exponential backoff, as many times as the run allows.
    /// </summary>
    public static TaskOptions ActivityOptions(ExecutionSettings? execution)
    {
        execution ??= ExecutionSettings.Default;
        return TaskOptions.FromRetryPolicy(new RetryPolicy(
            maxNumberOfAttempts: execution.ActivityMaxAttempts,
            firstRetryInterval: TimeSpan.FromSeconds(execution.ActivityFirstRetrySeconds),
            backoffCoefficient: 2.0)
        {
            HandleFailure = failure => !PermanentActivityFailures.IsPermanent(failure),
        });
    }
}
