using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary><c>flatten</c>: every value of an example in one row, [C, H, W] to [C·H·W]. No sizes, no parameters.</summary>
public sealed record FlattenLayer(string Name) : Layer(Name)
{
    public static LayerType Kind { get; } = new("flatten", (name, _, _) => new FlattenLayer(name));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        long features = input.Aggregate(1L, (product, size) => product * size);
        if (features > LayerShapes.MaxUnits * 1024L)
        {
            check.Fail("", $"flatten would give {features} features from {LayerShapes.Describe(input)}; at most {LayerShapes.MaxUnits * 1024L}");
            return null;
        }

        return [(int)features];
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build) => Flatten();

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Flatten", [input], graph.Output(Name), OnnxAttribute.Of("axis", 1L));
    }
}
