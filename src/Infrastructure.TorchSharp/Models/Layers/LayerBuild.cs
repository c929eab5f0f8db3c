using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>What a layer's <see cref="Layer.Build"/> may use besides its own sizes: the step's randomness and the builder of nested layer lists.</summary>
public sealed class LayerBuild
{
    internal LayerBuild(StepRandomness? randomness) => Randomness = randomness;

    /// <summary>
    /// The step's private generator, for layers that draw random numbers; null where nothing is drawn (evaluation,
    /// merges), and such a layer must then be one with no state that is an identity in eval mode.
    /// </summary>
    public StepRandomness? Randomness { get; }

    /// <summary>Nested layers (a residual block's branch) receiving <paramref name="input"/>, as one Sequential keyed by their names.</summary>
    public Module<Tensor, Tensor> Stack(IReadOnlyList<LayerSpec> layers, int[] input)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return LayerStackBuilder.Stack(layers, input, this);
    }
}
