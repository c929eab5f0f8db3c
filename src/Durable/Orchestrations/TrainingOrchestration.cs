using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Training;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Orchestrations;

/// <summary>
/// The durable face of <see cref="TrainingOrchestrator"/>: it wires the loop to activities and custom status. It
/// holds no state of its own, so one instance may serve every run (the Functions host shares it).
/// </summary>
public sealed class TrainingOrchestration : TaskOrchestrator<TrainingRunInput, TrainingOutcome>
{
    /// <summary>Chunks are idempotent (fixed output names), so a failed attempt can simply run again.</summary>
    public static TaskOptions DefaultActivityOptions { get; } = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 3,
        firstRetryInterval: TimeSpan.FromSeconds(5),
        backoffCoefficient: 2.0));

    public override Task<TrainingOutcome> RunAsync(TaskOrchestrationContext context, TrainingRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var orchestrator = new TrainingOrchestrator(
            new ActivityTrainingExecutor(context, DefaultActivityOptions),
            new CustomStatusMonitor(context),
            new PureTrainingService(),
            new ExternalEventControl(context));
        return orchestrator.RunAsync(input);
    }
}
