using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary><c>batchnorm</c>: batch normalisation, 1-d on [F] and 2-d on [C, H, W]; the shape unchanged. No sizes.</summary>
public sealed record BatchNormLayer(string Name) : Layer(Name)
{
    public static LayerType Kind { get; } = new("batchnorm", (name, _, _) => new BatchNormLayer(name));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (input.Length is not (1 or 3))
        {
            check.Fail("", $"batchnorm expects [features] or [channels, height, width] but receives {LayerShapes.Describe(input)}");
            return null;
        }

        check.AddParameters(2L * input[0]);
        return input;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Length == 1 ? BatchNorm1d(input[0]) : BatchNorm2d(input[0]);
    }

    /// <summary>Eval mode: the running statistics, with TorchSharp's default epsilon.</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("BatchNormalization", [input, graph.Weight(Name + ".weight"), graph.Weight(Name + ".bias"), graph.Weight(Name + ".running_mean"), graph.Weight(Name + ".running_var")],
            graph.Output(Name), OnnxAttribute.Of("epsilon", 1e-5f));
    }
}
