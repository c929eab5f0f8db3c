namespace DurableTrainer.Domain.Specification;

/// <summary>
/// Collects the broken rules of one section, each under its JSON path (<c>optimizer.learningRate</c>), so that a
/// section validates itself and every error of a request is reported at once.
/// </summary>
public sealed class SectionRules(string section)
{
    private readonly List<ValidationError> _errors = [];

    public IReadOnlyList<ValidationError> Errors => _errors;

    private string PathOf(string field) => $"{section}.{field}";

    public void Require(bool ok, string field, string rule)
    {
        if (!ok)
        {
            _errors.Add(new ValidationError(PathOf(field), rule));
        }
    }

    public static bool Between(double value, double low, double high) => double.IsFinite(value) && value >= low && value <= high;

    /// <summary>low &lt; value ≤ high.</summary>
    public static bool AboveAtMost(double value, double low, double high) => double.IsFinite(value) && value > low && value <= high;

    /// <summary>low &lt; value &lt; high.</summary>
    public static bool Inside(double value, double low, double high) => double.IsFinite(value) && value > low && value < high;

    /// <summary>low ≤ value &lt; high.</summary>
    public static bool AtLeastBelow(double value, double low, double high) => double.IsFinite(value) && value >= low && value < high;
}
