using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;

/// <summary>
/// A small transformer encoder that classifies texts, the default model for a table's text column: token and learned
/// position embeddings, <c>layers</c> bidirectional pre-norm transformer blocks of <c>heads</c> heads at width
/// <c>embedding</c>, a final layer norm, the mean over the text's tokens (padding left out), and a linear head to the
/// classes. <c>dropout</c> applies after the embeddings and in every block. The context comes from the data.
/// Layers: tokens, positions, [drop], block1..blockN, norm, pool, head.
/// </summary>
public sealed class TextEncoderArchitecture : IModelArchitecture
{
    public string Name => ModelSection.TextClassifierArchitecture;

    public IReadOnlyList<ModelParameter> Parameters { get; } =
    [
        ModelParameter.Whole("layers", 2, 1, 48),
        ModelParameter.Whole("heads", 4, 1, Models.Layers.LayerShapes.MaxHeads),
        ModelParameter.Whole("embedding", 64, 8, 4096),
        ModelParameter.Probability("dropout", 0.1),
    ];

    public IReadOnlyList<LayerSpec> Layers(ModelArguments arguments, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(shape);
        double dropout = arguments.Real("dropout");
        var layers = new List<LayerSpec>
        {
            new("embedding", "tokens", Vocabulary: shape.Vocabulary ?? 256, Width: arguments.Whole("embedding")),
            new("positionalEmbedding", "positions", Context: shape.Input[0]),
        };
        if (dropout > 0)
        {
            layers.Add(new LayerSpec("dropout", "drop", P: dropout));
        }

        for (int block = 1; block <= arguments.Whole("layers"); block++)
        {
            layers.Add(new LayerSpec("transformerBlock", $"block{block}", Heads: arguments.Whole("heads"), Causal: false, P: dropout));
        }

        layers.Add(new LayerSpec("layernorm", "norm"));
        layers.Add(new LayerSpec("sequencePool", "pool", Mode: "mean"));
        layers.Add(new LayerSpec("linear", "head", Units: shape.Outputs));
        return layers;
    }
}
