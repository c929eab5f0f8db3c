using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary><c>globalavgpool2d</c>: the mean over height and width, [C, H, W] to [C]. No sizes, no parameters.</summary>
public sealed record GlobalAvgPool2dLayer(string Name) : Layer(Name)
{
    public static LayerType Kind { get; } = new("globalavgpool2d", (name, _, _) => new GlobalAvgPool2dLayer(name));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        return check.IsImage(input, "globalavgpool2d") ? [input[0]] : null;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build) => new GlobalAveragePool();

    /// <summary>GlobalAveragePool keeps [N, C, 1, 1]; the layer gives [N, C].</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string pooled = graph.Node("GlobalAveragePool", [input], graph.Output(Name) + "_pooled");
        return graph.Node("Flatten", [pooled], graph.Output(Name), OnnxAttribute.Of("axis", 1L));
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
}
