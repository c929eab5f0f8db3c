using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// The activations <c>relu</c>, <c>gelu</c>, <c>tanh</c> and <c>sigmoid</c>: no sizes, no parameters, the shape
/// unchanged. Each is one line here (its type and module) and one in <see cref="LayerTypes.BuiltIn"/>.
/// </summary>
public sealed record ActivationLayer(string Name, string Type, Func<nn.Module<Tensor, Tensor>> Create) : Layer(Name)
{
    public static LayerType Relu { get; } = Kind("relu", () => nn.ReLU());

    public static LayerType Gelu { get; } = Kind("gelu", () => nn.GELU());

    public static LayerType Tanh { get; } = Kind("tanh", () => nn.Tanh());

    public static LayerType Sigmoid { get; } = Kind("sigmoid", () => nn.Sigmoid());

    public override int[]? Output(int[] input, LayerCheck check) => input;

    public override nn.Module<Tensor, Tensor> Build(int[] input, LayerBuild build) => Create();

    /// <summary>GELU is exact (erf) in TorchSharp, and opset 17 has no Gelu: x · 0.5 · (1 + erf(x / √2)).</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string name = graph.Output(Name);
        if (Type != "gelu")
        {
            return graph.Node(Type switch { "relu" => "Relu", "tanh" => "Tanh", _ => "Sigmoid" }, [input], name);
        }

        string scaled = graph.Node("Div", [input, graph.Constant(MathF.Sqrt(2))], name + "_scaled");
        string erf = graph.Node("Erf", [scaled], name + "_erf");
        string plusOne = graph.Node("Add", [erf, graph.Constant(1)], name + "_plus_one");
        string half = graph.Node("Mul", [input, graph.Constant(0.5f)], name + "_half");
        return graph.Node("Mul", [half, plusOne], name);
    }

    private static LayerType Kind(string type, Func<nn.Module<Tensor, Tensor>> create) =>
        new(type, (name, _, _) => new ActivationLayer(name, type, create));
}
