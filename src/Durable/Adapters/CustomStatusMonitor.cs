using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>Progress becomes the orchestration's custom status, which status queries return as <c>customStatus</c>.</summary>
public sealed class CustomStatusMonitor(TaskOrchestrationContext context) : ITrainingMonitor
{
    public void Report(TrainingProgress progress) => context.SetCustomStatus(progress);
}
