using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Builds TorchSharp modules from a checked, resolved layer list (<see cref="LayerResolution"/>: named, every size
/// given): one module per layer, built by its type (<see cref="Layer.Build"/>) and registered under its name, so
/// state-dict keys are the layer names (a residual block's are <c>block.layers.*</c> and <c>block.shortcut.*</c>).
/// Dropout draws from the step's private generator when one is given.
/// </summary>
public static class LayerStackBuilder
{
    /// <summary>The model's layers; with <paramref name="paddingId"/>, for padded texts, whose padding attention and pooling leave out.</summary>
    public static Module<Tensor, Tensor> Build(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> input, StepRandomness? randomness, int? paddingId = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (paddingId is not { } padding)
        {
            return Stack(layers, [.. input], new LayerBuild(randomness));
        }

        var build = new LayerBuild(randomness, new PaddingMask(padding));
        return new PaddedLayerStack(Modules(layers, [.. input], build), build.Padding!);
    }

    /// <summary>The layers as one Sequential keyed by their names, each built for the shape the layers before it give.</summary>
    internal static Module<Tensor, Tensor> Stack(IReadOnlyList<LayerSpec> layers, int[] input, LayerBuild build) => Sequential(Modules(layers, input, build));

    private static List<(string Name, Module<Tensor, Tensor> Module)> Modules(IReadOnlyList<LayerSpec> layers, int[] input, LayerBuild build)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>(layers.Count);
        int[] shape = input;
        foreach (LayerSpec layer in layers)
        {
            modules.Add((layer.Name ?? throw new ArgumentException("Layers must be named before they are built.", nameof(layers)), LayerTypes.BuiltIn.Read(layer).Build(shape, build)));
            shape = build.Shapes.OutputOfChecked(layer, shape);
        }

        return modules;
    }
}
