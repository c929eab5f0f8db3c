using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>conv2d</c>: a 2-D convolution of <c>channels</c> square <c>kernel</c> filters (default 3), <c>stride</c>
/// (default 1) and zero <c>padding</c> (default 0), [C, H, W] to [channels, H', W'].
/// </summary>
public sealed record Conv2dLayer(string Name, int Channels, int Kernel, int Stride, int Padding) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "conv2d",
        (name, spec, check) => new Conv2dLayer(
            name,
            check.Size(spec.Channels, "channels", 1, LayerShapes.MaxChannels),
            check.Size(spec.Kernel, "kernel", 1, LayerShapes.MaxKernel),
            check.Size(spec.Stride, "stride", 1, LayerShapes.MaxKernel),
            check.Size(spec.Padding, "padding", 0, LayerShapes.MaxKernel)),
        spec => spec with { Kernel = spec.Kernel ?? 3, Stride = spec.Stride ?? 1, Padding = spec.Padding ?? 0 });

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (!check.IsImage(input, "conv2d") || check.Failed)
        {
            return null;
        }

        int[]? output = check.Window(input, Channels, Kernel, Stride, Padding, "conv2d");
        check.AddParameters(((long)input[0] * Channels * Kernel * Kernel) + Channels);
        return output;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ChannelsLastConv2d(input[0], Channels, Kernel, Stride, Padding);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Conv", [input, graph.Weight(Name + ".weight"), graph.Weight(Name + ".bias")], graph.Output(Name),
            OnnxAttribute.Of("kernel_shape", Kernel, Kernel), OnnxAttribute.Of("strides", Stride, Stride), OnnxAttribute.Of("pads", Padding, Padding, Padding, Padding));
    }

    /// <summary>
    /// A 2-D convolution (the same parameters, initialisation and state-dict keys as <c>Conv2d</c>) whose output is laid
    /// out channels-last: [N, C, H, W] in shape, [N, H, W, C] in memory. The layers after it (batch norm, activations,
    /// poolings, the next convolution) keep that layout, and libtorch's kernels for it are the vectorised ones. Its
    /// max pooling over channels-first batches is scalar code: in a profile of the default CNN at 2 threads it took
    /// 26-29 % of the time (bench/results/executor.md). The layout cannot start at the input, as a one-channel image
    /// is both layouts at once, and TorchSharp has no memory_format argument: a permuted copy makes it, and it is free
    /// when the convolution's output is channels-last already (as it is when its input was).
    /// </summary>
    /// <remarks>
    /// A channels-last input reaches the convolution only when its channel count is a multiple of 8. On AVX2 CPUs
    /// (seen on an AMD EPYC), oneDNN's 1x1 kernel for a channels-last input of 4 channels wrote its weight gradient
    /// through an 8x8-blocked buffer into the 8x4 one and corrupted the heap ("free(): invalid next size", the
    /// process aborted). With a channels-first input oneDNN takes another kernel. The copy is free for the images a
    /// model starts from (channels-first already, or one channel) and small for the narrow layers it affects.
    /// </remarks>
    private sealed class ChannelsLastConv2d : Convolution
    {
        private const int OneDnnChannelBlock = 8;

        private readonly long[] _stride;
        private readonly long[] _padding;
        private readonly bool _channelsFirstInput;

        public ChannelsLastConv2d(long inputChannels, long outputChannels, long kernel, long stride, long padding)
            : base(nameof(Conv2d), inputChannels, outputChannels, [kernel, kernel], [stride, stride], [padding, padding], null, [1, 1], false, [0, 0], 1, true, PaddingModes.Zeros, null, null)
        {
            _stride = [stride, stride];
            _padding = [padding, padding];
            _channelsFirstInput = inputChannels % OneDnnChannelBlock != 0;
        }

        public override Tensor forward(Tensor input)
        {
            Tensor output = functional.conv2d(_channelsFirstInput && !input.is_contiguous() ? input.contiguous() : input, weight, bias, _stride, _padding);
            return output.dim() == 4 ? output.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : output;
        }
    }
}
