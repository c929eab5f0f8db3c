namespace DurableTrainer.Domain.Specification;

/// <summary>
/// One layer of a declarative model, as a user writes it: a <see cref="Type"/> (linear, conv2d, maxpool2d,
/// avgpool2d, globalavgpool2d, batchnorm, dropout, relu, gelu, tanh, sigmoid, flatten, residual) and the sizes that
/// type reads. A residual block adds the output of its <see cref="Layers"/> to the output of its
/// <see cref="Shortcut"/> (the identity when absent); both must produce the same shape. Shapes are checked at
/// submission by the model catalog, which knows the input shape.
/// </summary>
public sealed record LayerSpec(
    string Type,
    string? Name = null,
    int? Units = null,
    int? Channels = null,
    int? Kernel = null,
    int? Stride = null,
    int? Padding = null,
    double? P = null,
    IReadOnlyList<LayerSpec>? Layers = null,
    IReadOnlyList<LayerSpec>? Shortcut = null);
