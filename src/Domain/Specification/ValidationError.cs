namespace DurableTrainer.Domain.Specification;

/// <summary>One broken rule: which field (as the request spells it) and what the rule is.</summary>
public sealed record ValidationError(string Field, string Rule)
{
    public override string ToString() => $"{Field}: {Rule}";
}
