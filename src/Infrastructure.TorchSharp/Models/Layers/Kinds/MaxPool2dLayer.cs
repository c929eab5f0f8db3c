using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>maxpool2d</c>: the maximum over a square <c>kernel</c> (default 2) moved by <c>stride</c> (default the kernel)
/// with <c>padding</c> (default 0, at most half the kernel), [C, H, W] to [C, H', W'].
/// </summary>
public sealed record MaxPool2dLayer(string Name, int Kernel, int Stride, int Padding) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "maxpool2d",
        (name, spec, check) =>
        {
            int kernel = check.Size(spec.Kernel, "kernel", 1, LayerShapes.MaxKernel);
            int stride = check.Size(spec.Stride, "stride", 1, LayerShapes.MaxKernel);
            int padding = check.Size(spec.Padding, "padding", 0, LayerShapes.MaxKernel);
            if (padding * 2 > kernel)
            {
                check.Fail("padding", "must be at most half of kernel");
            }

            return new MaxPool2dLayer(name, kernel, stride, padding);
        },
        spec => spec with { Kernel = spec.Kernel ?? 2, Stride = spec.Stride ?? spec.Kernel ?? 2, Padding = spec.Padding ?? 0 });

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        return !check.IsImage(input, "maxpool2d") || check.Failed ? null : check.Window(input, input[0], Kernel, Stride, Padding, "maxpool2d");
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build) =>
        MaxPool2d(kernel_size: Kernel, stride: Stride, padding: Padding);
}
