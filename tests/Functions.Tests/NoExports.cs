using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Functions.Tests;

/// <summary>For tests that never reach a model export; one that did would fail loudly.</summary>
internal sealed class NoExports : IModelExporter
{
    public Task<ExportedModel> ExportAsync(CheckpointReference checkpoint, TrainingRecipe recipe, ModelExportFormat format, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("No export was expected.");
}
