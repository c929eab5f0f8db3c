using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>What a layer's <see cref="Layer.Build"/> may use besides its own sizes: the step's randomness, the padding mask of padded texts, and the builder of nested layer lists.</summary>
public sealed class LayerBuild
{
    internal LayerBuild(StepRandomness? randomness, PaddingMask? padding = null)
    {
        Randomness = randomness;
        Padding = padding;
    }

    /// <summary>Where the model reads padded texts, which positions are tokens in the pass in flight (attention and pooling leave padding out); null otherwise.</summary>
    public PaddingMask? Padding { get; }

    /// <summary>The shapes of the model's layers, walked in build order, so a layer finds the layers built before it.</summary>
    internal LayerShapes.Walk Shapes { get; } = new();

    /// <summary>
    /// The step's private generator, for layers that draw random numbers; null where nothing is drawn (evaluation,
    /// merges), and such a layer must then be one with no state that is an identity in eval mode.
    /// </summary>
    public StepRandomness? Randomness { get; }

    private readonly Dictionary<string, global::TorchSharp.Modules.Parameter> _shared = new(StringComparer.Ordinal);

    /// <summary>Offers a layer's weight to the layers built after it (an embedding's, for a tied output layer).</summary>
    public void Share(string layer, global::TorchSharp.Modules.Parameter weight) => _shared[layer] = weight;

    /// <summary>The weight <paramref name="layer"/> offered; the shape check has made sure it was built before.</summary>
    public global::TorchSharp.Modules.Parameter Shared(string layer) =>
        _shared.TryGetValue(layer, out global::TorchSharp.Modules.Parameter? weight) ? weight : throw new ArgumentException($"No layer named '{layer}' offered a weight to tie to.", nameof(layer));

    /// <summary>Nested layers (a residual block's branch) receiving <paramref name="input"/>, as one Sequential keyed by their names.</summary>
    public Module<Tensor, Tensor> Stack(IReadOnlyList<LayerSpec> layers, int[] input)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return LayerStackBuilder.Stack(layers, input, this);
    }
}
