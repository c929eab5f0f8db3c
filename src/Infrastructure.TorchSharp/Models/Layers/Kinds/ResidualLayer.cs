using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>residual</c>: <c>layers</c>(x) + <c>shortcut</c>(x), the shortcut being the identity when absent or empty;
/// both branches must give the same shape. The branches are layer lists of their own, checked and built through
/// the generic walk and builder (their state-dict keys are <c>{block}.layers.*</c> and <c>{block}.shortcut.*</c>).
/// </summary>
public sealed record ResidualLayer(string Name, IReadOnlyList<LayerSpec> Layers, IReadOnlyList<LayerSpec> Shortcut) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "residual",
        (name, spec, check) =>
        {
            if (spec.Layers is not { Count: > 0 })
            {
                check.Fail("layers", "must hold the block's layers (at least one)");
            }

            return new ResidualLayer(name, spec.Layers ?? [], spec.Shortcut ?? []);
        });

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (check.Failed)
        {
            return null;
        }

        int[]? main = check.Sequence(Layers, input, "layers");
        int[]? shortcut = Shortcut.Count > 0 ? check.Sequence(Shortcut, input, "shortcut") : input;
        if (main is null || shortcut is null)
        {
            return null;
        }

        if (!main.SequenceEqual(shortcut))
        {
            check.Fail("", $"residual block's layers give {LayerShapes.Describe(main)} but its shortcut gives {LayerShapes.Describe(shortcut)} (input {LayerShapes.Describe(input)}); they must match to be added, so add a shortcut that maps the input to {LayerShapes.Describe(main)}");
            return null;
        }

        return main;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return new ResidualBlock(build.Stack(Layers, input), Shortcut.Count > 0 ? build.Stack(Shortcut, input) : null);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string prefix = graph.Output(Name) + ".";
        string main = graph.Sequence(Layers, input, shape, prefix + "layers.");
        string shortcut = Shortcut.Count > 0 ? graph.Sequence(Shortcut, input, shape, prefix + "shortcut.") : input;
        return graph.Node("Add", [main, shortcut], graph.Output(Name));
    }

    /// <summary>layers(x) + shortcut(x), the shortcut being the identity when absent.</summary>
    private sealed class ResidualBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> layers;
        private readonly Module<Tensor, Tensor>? shortcut;

        public ResidualBlock(Module<Tensor, Tensor> layers, Module<Tensor, Tensor>? shortcut)
            : base(nameof(ResidualBlock))
        {
            this.layers = layers;
            this.shortcut = shortcut;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            Tensor main = layers.call(input);
            return shortcut is null ? main.add(input) : main.add(shortcut.call(input));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                layers.Dispose();
                shortcut?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
