using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>layernorm</c>: normalises each vector over its last dimension (ε 1e-5), then scales and, with <c>bias</c>
/// (default true), shifts it; the shape unchanged. Keys <c>{name}.weight</c> and <c>{name}.bias</c>, as PyTorch's.
/// </summary>
public sealed record LayerNormLayer(string Name, bool HasBias) : Layer(Name)
{
    public const double Epsilon = 1e-5;

    public static LayerType Kind { get; } = new(
        "layernorm",
        (name, spec, _) => new LayerNormLayer(name, spec.Bias ?? true),
        spec => spec with { Bias = spec.Bias ?? true });

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (input.Length is not (1 or 2))
        {
            check.Fail("", $"layernorm expects [features] or a sequence [positions, width] but receives {LayerShapes.Describe(input)}");
        }

        if (check.Failed)
        {
            return null;
        }

        check.AddParameters((HasBias ? 2L : 1L) * input[^1]);
        return input;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        return LayerNorm(input[^1], Epsilon, elementwise_affine: true, bias: HasBias);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string[] inputs = HasBias ? [input, graph.Weight(Name + ".weight"), graph.Weight(Name + ".bias")] : [input, graph.Weight(Name + ".weight")];
        return graph.Node("LayerNormalization", inputs, graph.Output(Name), OnnxAttribute.Of("axis", -1L), OnnxAttribute.Of("epsilon", (float)Epsilon));
    }
}
