using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Application.Predictions;

/// <summary>A host's settings for the prediction jobs it starts (configuration section <c>Predictions</c>).</summary>
public sealed class PredictionJobSettings
{
    public const string SectionName = "Predictions";

    /// <summary>Parts an orchestration execution runs before it continues as new; below 1 counts as 1.</summary>
    public int PartsPerExecution { get; set; } = PredictionJobInput.DefaultPartsPerExecution;
}
