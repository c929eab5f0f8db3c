using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// The layer types a declarative model may use, by their JSON <c>type</c>, in the order error messages list them.
/// A new type is one file in <c>Kinds/</c> (its typed record: defaults, ranges, shape rule and module) and one line
/// in <see cref="BuiltIn"/>, plus its PyTorch rebuild: one <c>@rebuilds("type")</c> function in
/// <c>interop/pytorch/durabletrainer_model.py</c> (LayerRebuildTests fails while the two lists differ).
/// </summary>
public sealed class LayerTypes
{
    private readonly Dictionary<string, LayerType> _byName;

    public LayerTypes(IEnumerable<LayerType> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        All = [.. types];
        _byName = All.ToDictionary(type => type.Name, StringComparer.Ordinal);
        Names = [.. All.Select(type => type.Name)];
    }

    /// <summary>The built-in layer types. A new one is one file in <c>Kinds/</c> and one line here.</summary>
    public static LayerTypes BuiltIn { get; } = new(
    [
        LinearLayer.Kind,
        Conv2dLayer.Kind,
        Pool2dLayer.Max,
        Pool2dLayer.Average,
        GlobalAvgPool2dLayer.Kind,
        BatchNormLayer.Kind,
        DropoutLayer.Kind,
        ActivationLayer.Relu,
        ActivationLayer.Gelu,
        ActivationLayer.Tanh,
        ActivationLayer.Sigmoid,
        FlattenLayer.Kind,
        ResidualLayer.Kind,
        EmbeddingLayer.Kind,
        PositionalEmbeddingLayer.Kind,
        LayerNormLayer.Kind,
        SelfAttentionLayer.Kind,
        TransformerBlockLayer.Kind,
        SequencePoolLayer.Kind,
    ]);

    public IReadOnlyList<LayerType> All { get; }

    /// <summary>The JSON <c>type</c> names, in registration order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The type named <paramref name="name"/>, or null when there is none (or no name).</summary>
    public LayerType? Find(string? name) => name is not null && _byName.TryGetValue(name, out LayerType? type) ? type : null;

    /// <summary>
    /// The typed layer a checked spec stands for, its defaults filled in (its nested layers are read when they are
    /// built); throws when its type is unknown or a size is out of range.
    /// </summary>
    public Layer Read(LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        LayerType type = Find(layer.Type) ?? throw new ArgumentException($"Unknown layer type '{layer.Type}'.", nameof(layer));
        LayerCheck check = LayerCheck.Alone();
        Layer read = type.Read(layer, check);
        return check.Failed
            ? throw new ArgumentException($"Layer {layer.Name} does not check: {string.Join("; ", check.Problems)}", nameof(layer))
            : read;
    }

    /// <summary>Whether this one layer (not the layers nested in it) draws random numbers in training.</summary>
    public bool DrawsRandomNumbers(LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Find(layer.Type) is { } type && type.Read(layer, LayerCheck.Alone()).DrawsRandomNumbers;
    }
}
