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

    private static LayerType Kind(string type, Func<nn.Module<Tensor, Tensor>> create) =>
        new(type, (name, _, _) => new ActivationLayer(name, type, create));
}
