using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>model</c> section: either a built-in <see cref="Architecture"/> from the registry with its size
/// <see cref="Parameters"/> (numbers; true and false are 1 and 0), or a declarative list of <see cref="Layers"/>.
/// Without either it is the default architecture. Which parameters an architecture takes, and whether the layers fit the data's shape, is the model catalog's
/// business (an application port); this section only checks what it can know alone.
/// </summary>
public sealed record ModelSection(
    string? Architecture = null,
    IReadOnlyDictionary<string, double>? Parameters = null,
    IReadOnlyList<LayerSpec>? Layers = null)
{
    public const string Path = "model";
    public const string DefaultArchitecture = "cnn";
    public const int MaxNameLength = 64;

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(!(Layers is not null && Architecture is not null), "layers", "cannot be given together with model.architecture; choose one");
        rules.Require(Architecture is null || IsPlainName(Architecture), "architecture", $"must be 1 to {MaxNameLength} lower-case letters, digits or hyphens");
        rules.Require(Layers is null || Layers.Count > 0, "layers", "must hold at least one layer");
        rules.Require(Parameters is null || Layers is null || Parameters.Count == 0, "parameters", "apply to a built-in architecture only; declarative layers carry their own sizes");
        foreach ((string name, double value) in Parameters ?? new Dictionary<string, double>())
        {
            rules.Require(double.IsFinite(value), $"parameters.{name}", "must be a finite number");
        }

        return rules.Errors;
    }

    /// <summary>The section with its defaults resolved: without layers or an architecture it is the default architecture.</summary>
    public ModelSection Resolved() => Layers is null && Architecture is null ? this with { Architecture = DefaultArchitecture } : this;

    /// <summary>The parameter's value, or <paramref name="fallback"/> when not given.</summary>
    public double Parameter(string name, double fallback) => Parameters is not null && Parameters.TryGetValue(name, out double value) ? value : fallback;

    private static bool IsPlainName(string name) =>
        name.Length is >= 1 and <= MaxNameLength && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
