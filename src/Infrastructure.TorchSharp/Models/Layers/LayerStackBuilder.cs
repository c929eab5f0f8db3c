using DurableTrainer.Domain.Specification;
using TorchSharp;
using TorchSharp.Modules;
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
        "conv2d" => new ChannelsLastConv2d(input[0], layer.Channels!.Value, layer.Kernel!.Value, layer.Stride!.Value, layer.Padding!.Value),
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

    /// <summary>
    /// A 2-D convolution (the same parameters, initialisation and state-dict keys as <c>Conv2d</c>) whose output is laid
    /// out channels-last: [N, C, H, W] in shape, [N, H, W, C] in memory. The layers after it (batch norm, activations,
    /// poolings, the next convolution) keep that layout, and libtorch's kernels for it are the vectorised ones. Its
    /// max pooling over channels-first batches is scalar code: in a profile of the default CNN at 2 threads it took
    /// 26-29 % of the time (bench/results/executor.md). The layout cannot start at the input, as a one-channel image
    /// is both layouts at once, and TorchSharp has no memory_format argument: a permuted copy makes it, and it is free
    /// when the convolution's output is channels-last already (as it is when its input was).
    /// </summary>
    private sealed class ChannelsLastConv2d : Convolution
    {
        private readonly long[] _stride;
        private readonly long[] _padding;

        public ChannelsLastConv2d(long inputChannels, long outputChannels, long kernel, long stride, long padding)
            : base(nameof(Conv2d), inputChannels, outputChannels, [kernel, kernel], [stride, stride], [padding, padding], null, [1, 1], false, [0, 0], 1, true, PaddingModes.Zeros, null, null)
        {
            _stride = [stride, stride];
            _padding = [padding, padding];
        }

        public override Tensor forward(Tensor input)
        {
            Tensor output = functional.conv2d(input, weight, bias, _stride, _padding);
            return output.dim() == 4 ? output.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : output;
        }
    }

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
