using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>optimizer</c> section: the algorithm and its settings (momentum for SGD, betas for Adam and AdamW), and which
/// parameters weight decay applies to (<see cref="WeightDecayOn"/>: all by default).
/// </summary>
public sealed record OptimizerSection(
    OptimizerKind Name = OptimizerKind.Adam,
    double LearningRate = 1e-3,
    double Momentum = 0.9,
    bool Nesterov = false,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double WeightDecay = 0,
    // Left out of the JSON when unset, so that recipes without it hash as they did before it existed.
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] WeightDecayScope? WeightDecayOn = null)
{
    public const string Path = "optimizer";
    public const double MaxLearningRate = 10;

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Enum.IsDefined(Name), "name", "must be one of " + SpecificationNames.Of<OptimizerKind>());
        rules.Require(SectionRules.AboveAtMost(LearningRate, 0, MaxLearningRate), "learningRate", $"must be a finite number greater than 0 and at most {MaxLearningRate}");
        rules.Require(SectionRules.AtLeastBelow(Momentum, 0, 1), "momentum", "must be at least 0 and less than 1");
        rules.Require(!Nesterov || (Name == OptimizerKind.Sgd && Momentum > 0), "nesterov", "needs optimizer.name sgd with momentum greater than 0");
        rules.Require(SectionRules.AtLeastBelow(Beta1, 0, 1), "beta1", "must be at least 0 and less than 1");
        rules.Require(SectionRules.AtLeastBelow(Beta2, 0, 1), "beta2", "must be at least 0 and less than 1");
        rules.Require(SectionRules.Between(WeightDecay, 0, 1), "weightDecay", "must be between 0 and 1");
        rules.Require(WeightDecayOn is null || Enum.IsDefined(WeightDecayOn.Value), "weightDecayOn", "must be one of " + SpecificationNames.Of<WeightDecayScope>());
        return rules.Errors;
    }
}
