using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// One layer type: its JSON <c>type</c>, the defaults it fills into a <see cref="LayerSpec"/>, and how it reads a
/// spec into its typed <see cref="Layer"/>, reporting sizes out of range to the check. A size the type needs and was
/// not given reads as 0, so the range check names it.
/// </summary>
public sealed class LayerType
{
    private readonly Func<string, LayerSpec, LayerCheck, Layer> _read;
    private readonly Func<LayerSpec, LayerSpec>? _defaults;

    /// <param name="name">The JSON <c>type</c>.</param>
    /// <param name="read">
    /// The typed layer from its name (empty before <see cref="LayerResolution"/> names it), the spec with its
    /// defaults filled in, and the check that takes its range problems. It returns the layer even then.
    /// </param>
    /// <param name="defaults">
    /// The spec with every size this type reads given (a default where it was not); sizes it does not read are left
    /// as they are. Without it the spec is left as it is.
    /// </param>
    public LayerType(string name, Func<string, LayerSpec, LayerCheck, Layer> read, Func<LayerSpec, LayerSpec>? defaults = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(read);
        Name = name;
        _read = read;
        _defaults = defaults;
    }

    /// <summary>The JSON <c>type</c>.</summary>
    public string Name { get; }

    /// <summary>The layer with every size its type reads given; sizes it does not read are left as they are.</summary>
    public LayerSpec WithDefaults(LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return _defaults is null ? layer : _defaults(layer);
    }

    /// <summary>The typed layer <paramref name="layer"/> stands for, its defaults filled in; range problems go to <paramref name="check"/>.</summary>
    public Layer Read(LayerSpec layer, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(check);
        LayerSpec given = WithDefaults(layer);
        return _read(given.Name ?? string.Empty, given, check);
    }

    public override string ToString() => Name;
}
