using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary><c>linear</c>: a fully connected layer of <c>units</c> outputs, [F] to [units]; it needs a flat input.</summary>
public sealed record LinearLayer(string Name, int Units) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "linear",
        (name, spec, check) => new LinearLayer(name, check.Size(spec.Units, "units", 1, LayerShapes.MaxUnits)));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (input.Length != 1)
        {
            check.Fail("", $"linear expects a flat input [features] but receives {LayerShapes.Describe(input)}; put a flatten layer before it");
        }

        if (check.Failed)
        {
            return null;
        }

        check.AddParameters(((long)input[0] * Units) + Units);
        return [Units];
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Linear(input[0], Units);
    }

    /// <summary>x · Wᵀ + b: TorchSharp keeps W as [units, in].</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Gemm", [input, graph.Weight(Name + ".weight"), graph.Weight(Name + ".bias")], graph.Output(Name), OnnxAttribute.Of("transB", 1L));
    }
}
