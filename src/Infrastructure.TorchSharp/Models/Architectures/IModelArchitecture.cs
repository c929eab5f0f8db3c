using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;

/// <summary>
/// A built-in architecture: a name, the size parameters it takes, and the declarative layers it stands for at a
/// given data shape. Everything else (shape checks, building, checkpoints, export, the PyTorch rebuild) works on
/// those layers, so a new architecture is one class plus one line in <see cref="ModelRegistry"/>.
/// </summary>
public interface IModelArchitecture
{
    string Name { get; }

    IReadOnlyList<ModelParameter> Parameters { get; }

    /// <summary>The layers for data of <paramref name="shape"/>; the last must give <see cref="DataShape.Outputs"/> values.</summary>
    IReadOnlyList<LayerSpec> Layers(ModelArguments arguments, DataShape shape);
}

public enum ParameterKind
{
    /// <summary>A whole number.</summary>
    Whole,

    /// <summary>Any number in range.</summary>
    Real,

    /// <summary>true or false (1 or 0).</summary>
    Flag,
}

/// <summary>One size parameter: its default and its range (the upper bound excluded when <see cref="BelowMax"/>).</summary>
public sealed record ModelParameter(string Name, ParameterKind Kind, double Default, double Min = 0, double Max = 1, bool BelowMax = false)
{
    public static ModelParameter Whole(string name, int defaultValue, int min, int max) => new(name, ParameterKind.Whole, defaultValue, min, max);

    public static ModelParameter Flag(string name, bool defaultValue = false) => new(name, ParameterKind.Flag, defaultValue ? 1 : 0);

    /// <summary>A probability in [0, 1), such as dropout.</summary>
    public static ModelParameter Probability(string name, double defaultValue = 0) => new(name, ParameterKind.Real, defaultValue, 0, 1, BelowMax: true);

    public string? Problem(double value) => Kind switch
    {
        ParameterKind.Flag when value is not (0 or 1) => "must be true or false",
        ParameterKind.Whole when value != Math.Floor(value) || value < Min || value > Max => $"must be a whole number between {Min} and {Max}",
        ParameterKind.Real when !double.IsFinite(value) || value < Min || (BelowMax ? value >= Max : value > Max) => BelowMax ? $"must be at least {Min} and less than {Max}" : $"must be between {Min} and {Max}",
        _ => null,
    };
}

/// <summary>An architecture's resolved parameter values, read by type.</summary>
public sealed class ModelArguments(IReadOnlyDictionary<string, double> values)
{
    public int Whole(string name) => (int)values[name];

    public double Real(string name) => values[name];

    public bool Flag(string name) => values[name] != 0;
}
