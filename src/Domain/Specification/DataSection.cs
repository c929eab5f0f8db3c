using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Specification;

/// <summary>The <c>data</c> section: which dataset a run trains and evaluates on.</summary>
public sealed record DataSection(DatasetKind Dataset = DatasetKind.FashionMnist)
{
    public const string Path = "data";

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Enum.IsDefined(Dataset), "dataset", "must be one of " + SpecificationNames.Of<DatasetKind>());
        return rules.Errors;
    }
}
