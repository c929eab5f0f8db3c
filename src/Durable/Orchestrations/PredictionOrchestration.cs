using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Predictions;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Orchestrations;

/// <summary>The durable face of <see cref="PredictionOrchestrator"/>: parts fan out as activities, with the training activities' retry policy.</summary>
public sealed class PredictionOrchestration : TaskOrchestrator<PredictionJobInput, PredictionManifest?>
{
    public override Task<PredictionManifest?> RunAsync(TaskOrchestrationContext context, PredictionJobInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return new PredictionOrchestrator(new DurablePredictionHost(context, TrainingOrchestration.ActivityOptions(null))).RunAsync(input);
    }
}
