using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Activities;

// A prediction job's activities hand their message to the predictor. Each writes to names fixed by (job, part), so a
// redelivered one overwrites its own output with the same bytes.

public sealed class PredictPartActivity(IModelPredictor predictor) : TaskActivity<PredictPartCommand, PredictionPartResult>
{
    public override Task<PredictionPartResult> RunAsync(TaskActivityContext context, PredictPartCommand input) => predictor.PredictPartAsync(input);
}

public sealed class SummarizePredictionsActivity(IModelPredictor predictor) : TaskActivity<SummarizePredictionsCommand, EvaluationMetrics>
{
    public override Task<EvaluationMetrics> RunAsync(TaskActivityContext context, SummarizePredictionsCommand input) => predictor.SummarizeAsync(input);
}

public sealed class WritePredictionManifestActivity(IModelPredictor predictor) : TaskActivity<WriteManifestCommand, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, WriteManifestCommand input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await predictor.WriteManifestAsync(input);
        return input.Manifest.Parts.Count;
    }
}
