namespace DurableTrainer.Domain.Specification;

/// <summary>The <c>checkpoints</c> section: a checkpoint crossing a multiple of the interval is kept; the last so many kept ones are retained.</summary>
public sealed record CheckpointSection(int IntervalSteps = 1000, int KeepLast = 3)
{
    public const string Path = "checkpoints";

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(IntervalSteps is >= 1 and <= 10_000_000, "intervalSteps", "must be between 1 and 10000000");
        rules.Require(KeepLast is >= 1 and <= 1000, "keepLast", "must be between 1 and 1000");
        return rules.Errors;
    }
}
