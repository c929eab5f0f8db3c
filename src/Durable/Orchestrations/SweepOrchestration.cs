using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Application.Sweeps;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Orchestrations;

/// <summary>The durable face of <see cref="SweepOrchestrator"/>: trials are training orchestrations it starts and talks to by events.</summary>
public sealed class SweepOrchestration : TaskOrchestrator<SweepInput, SweepOutcome>
{
    public override Task<SweepOutcome> RunAsync(TaskOrchestrationContext context, SweepInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return new SweepOrchestrator(new DurableSweepHost(context, TrainingOrchestration.ActivityOptions(ExecutionSettings.Default))).RunAsync(input);
    }
}
