using System.Text.Json.Serialization;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// One layer of a declarative model, as a user writes it: a <see cref="Type"/> (linear, conv2d, maxpool2d,
/// avgpool2d, globalavgpool2d, batchnorm, dropout, relu, gelu, tanh, sigmoid, flatten, residual, and for sequences
/// embedding, positionalEmbedding, layernorm, selfAttention, transformerBlock, sequencePool) and the sizes that type
/// reads. A residual block adds the output of its <see cref="Layers"/> to the output of its <see cref="Shortcut"/>
/// (the identity when absent); both must produce the same shape. Shapes are checked at submission by the model
/// catalog, which knows the input shape.
/// </summary>
/// <remarks>
/// The sequence layers' fields are left out of the JSON when not given, so that the stored form of every model
/// written before them, and the checkpoints that pin it, stay byte for byte what they were.
/// </remarks>
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
    IReadOnlyList<LayerSpec>? Shortcut = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Vocabulary = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Width = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Context = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Heads = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Ratio = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Causal = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Bias = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Mode = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TiedTo = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? InitStd = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ResidualInitStd = null);
