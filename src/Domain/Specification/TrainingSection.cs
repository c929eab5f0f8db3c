namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>training</c> section: how long (epochs, or a step count that overrides them), on what batches (size and
/// gradient accumulation), with what clipping, from what seed (initial weights and data order).
/// </summary>
public sealed record TrainingSection(
    int Epochs = 3,
    long? MaxSteps = null,
    int BatchSize = 64,
    int GradientAccumulationSteps = 1,
    double? GradientClipNorm = null,
    int Seed = 42)
{
    public const string Path = "training";
    public const int MaxBatchSize = 4096;
    public const long MaxTotalSteps = 10_000_000;
    public const int MaxEffectiveBatchSize = 65_536;

    /// <summary>Examples behind one optimizer step.</summary>
    public int EffectiveBatchSize() => BatchSize * GradientAccumulationSteps;

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Epochs is >= 1 and <= 1000, "epochs", "must be between 1 and 1000");
        rules.Require(MaxSteps is null or (>= 1 and <= MaxTotalSteps), "maxSteps", $"must be between 1 and {MaxTotalSteps} when given");
        rules.Require(BatchSize is >= 1 and <= MaxBatchSize, "batchSize", $"must be between 1 and {MaxBatchSize}");
        rules.Require(GradientAccumulationSteps is >= 1 and <= 1024, "gradientAccumulationSteps", "must be between 1 and 1024");
        rules.Require(GradientAccumulationSteps is < 1 or > 1024 || BatchSize is < 1 or > MaxBatchSize || (long)BatchSize * GradientAccumulationSteps <= MaxEffectiveBatchSize,
            "gradientAccumulationSteps", $"times training.batchSize must be at most {MaxEffectiveBatchSize}");
        rules.Require(GradientClipNorm is null || SectionRules.AboveAtMost(GradientClipNorm.Value, 0, 1e6),
            "gradientClipNorm", "must be greater than 0 and at most 1000000 when given");
        rules.Require(Seed >= 0, "seed", "must be 0 or greater");
        return rules.Errors;
    }
}
