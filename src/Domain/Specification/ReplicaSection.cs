using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>replicas</c> section: how many replicas train side by side (replica k on examples with index ≡ k mod
/// count) and how their parameters become the next global model.
/// </summary>
public sealed record ReplicaSection(
    int Count = 1,
    MergeStrategy Merge = MergeStrategy.Average,
    double OuterLearningRate = 0.7,
    double OuterMomentum = 0.9)
{
    public const string Path = "replicas";
    public const int MaxReplicas = 16;

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Count is >= 1 and <= MaxReplicas, "count", $"must be between 1 and {MaxReplicas}");
        rules.Require(Enum.IsDefined(Merge), "merge", "must be one of " + SpecificationNames.Of<MergeStrategy>());
        rules.Require(SectionRules.AboveAtMost(OuterLearningRate, 0, 10), "outerLearningRate", "must be greater than 0 and at most 10");
        rules.Require(SectionRules.AtLeastBelow(OuterMomentum, 0, 1), "outerMomentum", "must be at least 0 and less than 1");
        return rules.Errors;
    }
}
