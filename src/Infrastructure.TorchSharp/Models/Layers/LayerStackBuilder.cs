using DurableTrainer.Domain.Specification;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Builds TorchSharp modules from a checked, resolved layer list (<see cref="LayerResolution"/>: named, every size given): one module per layer under its name, so state-dict
/// keys are the layer names (a residual block's are <c>block.layers.*</c> and <c>block.shortcut.*</c>). Dropout
/// draws from the step's private generator when one is given.
/// </summary>
public static class LayerStackBuilder
{
    public static Module<Tensor, Tensor> Build(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> input, StepRandomness? randomness)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return Stack(layers, [.. input], randomness, out _);
    }

    private static Module<Tensor, Tensor> Stack(IReadOnlyList<LayerSpec> layers, int[] input, StepRandomness? randomness, out int[] output)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>(layers.Count);
        int[] shape = input;
        foreach (LayerSpec layer in layers)
        {
            modules.Add((layer.Name ?? throw new ArgumentException("Layers must be named before they are built.", nameof(layers)), Module(layer, shape, randomness)));
            shape = OutputOf(layer, shape);
        }

        output = shape;
        return Sequential(modules);
    }

    private static Module<Tensor, Tensor> Module(LayerSpec layer, int[] input, StepRandomness? randomness) => layer.Type switch
    {
        "linear" => Linear(input[0], layer.Units!.Value),
        "conv2d" => Conv2d(input[0], layer.Channels!.Value, kernel_size: layer.Kernel!.Value, stride: layer.Stride!.Value, padding: layer.Padding!.Value),
        "maxpool2d" => MaxPool2d(kernel_size: layer.Kernel!.Value, stride: layer.Stride!.Value, padding: layer.Padding!.Value),
        "avgpool2d" => AvgPool2d(kernel_size: layer.Kernel!.Value, stride: layer.Stride!.Value, padding: layer.Padding!.Value),
        "globalavgpool2d" => new GlobalAveragePool(),
        "batchnorm" => input.Length == 1 ? BatchNorm1d(input[0]) : BatchNorm2d(input[0]),
        // Without randomness (evaluation, merges) a plain Dropout stands in: it has no state and is an identity in eval mode.
        "dropout" => randomness is null ? Dropout(layer.P!.Value) : new CounterDropout(layer.P!.Value, randomness),
        "relu" => ReLU(),
        "gelu" => GELU(),
        "tanh" => Tanh(),
        "sigmoid" => Sigmoid(),
        "flatten" => Flatten(),
        "residual" => new ResidualBlock(
            Stack(layer.Layers!, input, randomness, out _),
            layer.Shortcut is { Count: > 0 } shortcut ? Stack(shortcut, input, randomness, out _) : null),
        _ => throw new ArgumentException($"Unknown layer type '{layer.Type}'.", nameof(layer)),
    };

    private static int[] OutputOf(LayerSpec layer, int[] input) =>
        LayerShapes.Infer([layer], input, "layer").Output ?? throw new ArgumentException($"Layer {layer.Name} does not fit its input {LayerShapes.Describe(input)}.", nameof(layer));

    /// <summary>The mean over height and width: [N, C, H, W] to [N, C].</summary>
    private sealed class GlobalAveragePool : Module<Tensor, Tensor>
    {
        public GlobalAveragePool()
            : base(nameof(GlobalAveragePool))
        {
        }

        public override Tensor forward(Tensor input) => input.mean([2L, 3L]);
    }

    /// <summary>layers(x) + shortcut(x), the shortcut being the identity when absent.</summary>
    private sealed class ResidualBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> layers;
        private readonly Module<Tensor, Tensor>? shortcut;

        public ResidualBlock(Module<Tensor, Tensor> layers, Module<Tensor, Tensor>? shortcut)
            : base(nameof(ResidualBlock))
        {
            this.layers = layers;
            this.shortcut = shortcut;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            Tensor main = layers.call(input);
            return shortcut is null ? main.add(input) : main.add(shortcut.call(input));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                layers.Dispose();
                shortcut?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
