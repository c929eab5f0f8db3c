using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;

/// <summary>
/// A GPT language model (nanoGPT's shape): token and learned position embeddings, <c>layers</c> causal pre-norm
/// transformer blocks of <c>heads</c> heads at width <c>embedding</c>, a final layer norm and a linear head to the
/// vocabulary, without bias. <c>dropout</c> applies in every block; <c>bias</c> gives the blocks and the final norm
/// their biases; <c>tieWeights</c> makes the head share the token embedding's weight. <c>initStd</c> (0.02) draws
/// the weights as nanoGPT does, from N(0, 0.02) with the residual projections at 0.02 / √(2 · layers) and zero
/// biases; 0 leaves PyTorch's default initialisation. The context length, and so the position table, comes from the
/// data (<c>data.contextLength</c>).
/// Layers: tokens, positions, block1..blockN, norm, head.
/// </summary>
public sealed class GptArchitecture : IModelArchitecture
{
    public string Name => "gpt";

    public IReadOnlyList<ModelParameter> Parameters { get; } =
    [
        ModelParameter.Whole("layers", 4, 1, 48),
        ModelParameter.Whole("heads", 4, 1, Models.Layers.LayerShapes.MaxHeads),
        ModelParameter.Whole("embedding", 128, 8, 4096),
        ModelParameter.Probability("dropout"),
        ModelParameter.Flag("bias", defaultValue: true),
        ModelParameter.Flag("tieWeights"),
        new("initStd", ParameterKind.Real, 0.02, 0, 1),
    ];

    public IReadOnlyList<LayerSpec> Layers(ModelArguments arguments, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(shape);
        int width = arguments.Whole("embedding");
        bool bias = arguments.Flag("bias");
        double dropout = arguments.Real("dropout");
        int depth = arguments.Whole("layers");
        double? std = arguments.Real("initStd") is > 0 and var given ? given : null;
        double? residualStd = std / Math.Sqrt(2.0 * depth);
        var layers = new List<LayerSpec>
        {
            new("embedding", "tokens", Vocabulary: shape.Vocabulary ?? shape.Outputs, Width: width, InitStd: std),
            new("positionalEmbedding", "positions", Context: shape.Input[0], InitStd: std),
        };
        if (dropout > 0)
        {
            layers.Add(new LayerSpec("dropout", "drop", P: dropout));
        }

        for (int block = 1; block <= depth; block++)
        {
            layers.Add(new LayerSpec("transformerBlock", $"block{block}", Heads: arguments.Whole("heads"), Causal: true, P: dropout, Bias: bias, InitStd: std, ResidualInitStd: residualStd));
        }

        bool tied = arguments.Flag("tieWeights");
        layers.Add(new LayerSpec("layernorm", "norm", Bias: bias));
        layers.Add(new LayerSpec("linear", "head", Units: shape.Outputs, Bias: false, TiedTo: tied ? "tokens" : null, InitStd: tied ? null : std));
        return layers;
    }
}
