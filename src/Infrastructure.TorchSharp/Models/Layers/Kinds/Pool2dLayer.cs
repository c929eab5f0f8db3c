using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// The window poolings <c>maxpool2d</c> (the maximum) and <c>avgpool2d</c> (the mean) over a square <c>kernel</c>
/// (default 2) moved by <c>stride</c> (default the kernel) with <c>padding</c> (default 0, at most half the kernel),
/// [C, H, W] to [C, H', W']. Each is one line here (its type and module) and one in <see cref="LayerTypes.BuiltIn"/>.
/// </summary>
public sealed record Pool2dLayer(string Name, string Type, int Kernel, int Stride, int Padding, Func<Pool2dLayer, nn.Module<Tensor, Tensor>> Create) : Layer(Name)
{
    public static LayerType Max { get; } = Kind("maxpool2d", pool => nn.MaxPool2d(kernel_size: pool.Kernel, stride: pool.Stride, padding: pool.Padding));

    public static LayerType Average { get; } = Kind("avgpool2d", pool => nn.AvgPool2d(kernel_size: pool.Kernel, stride: pool.Stride, padding: pool.Padding));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        return !check.IsImage(input, Type) || check.Failed ? null : check.Window(input, input[0], Kernel, Stride, Padding, Type);
    }

    public override nn.Module<Tensor, Tensor> Build(int[] input, LayerBuild build) => Create(this);

    /// <summary>Average pooling counts the padding in its divisor, as PyTorch's and TorchSharp's do by default.</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        OnnxAttribute[] window = [OnnxAttribute.Of("kernel_shape", Kernel, Kernel), OnnxAttribute.Of("strides", Stride, Stride), OnnxAttribute.Of("pads", Padding, Padding, Padding, Padding)];
        return Type == "maxpool2d"
            ? graph.Node("MaxPool", [input], graph.Output(Name), window)
            : graph.Node("AveragePool", [input], graph.Output(Name), [.. window, OnnxAttribute.Of("count_include_pad", 1L)]);
    }

    private static LayerType Kind(string type, Func<Pool2dLayer, nn.Module<Tensor, Tensor>> create) => new(
        type,
        (name, spec, check) =>
        {
            int kernel = check.Size(spec.Kernel, "kernel", 1, LayerShapes.MaxKernel);
            int stride = check.Size(spec.Stride, "stride", 1, LayerShapes.MaxKernel);
            int padding = check.Size(spec.Padding, "padding", 0, LayerShapes.MaxKernel);
            if (padding * 2 > kernel)
            {
                check.Fail("padding", "must be at most half of kernel");
            }

            return new Pool2dLayer(name, type, kernel, stride, padding, create);
        },
        spec => spec with { Kernel = spec.Kernel ?? 2, Stride = spec.Stride ?? spec.Kernel ?? 2, Padding = spec.Padding ?? 0 });
}
