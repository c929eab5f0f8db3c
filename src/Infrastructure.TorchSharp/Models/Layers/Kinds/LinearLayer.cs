using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>linear</c>: a fully connected layer of <c>units</c> outputs over the last dimension: [F] to [units], and on a
/// sequence [T, C] to [T, units] (the same weights at every position). <c>bias</c> (default true) adds the bias; it
/// is not filled in when absent, so that models stored before it existed keep their stored form. <c>tiedTo</c> names
/// an embedding layer before it whose weight [vocabulary, width] this layer uses as its own (a language model's
/// output head tied to its input embedding): units must be the vocabulary and the input's width the embedding's.
/// <c>initStd</c>: see <see cref="WeightInit"/> (a tied layer's weight is its embedding's).
/// </summary>
public sealed record LinearLayer(string Name, int Units, bool HasBias, string? TiedTo = null, double? InitStd = null) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "linear",
        (name, spec, check) => new LinearLayer(
            name,
            check.Size(spec.Units, "units", 1, LayerShapes.MaxUnits),
            LayerCheck.Flag(spec.Bias, absent: true),
            spec.TiedTo,
            WeightInit.Checked(spec.InitStd, "initStd", check)));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (input.Length is not (1 or 2))
        {
            check.Fail("", $"linear expects a flat input [features] or a sequence [positions, width] but receives {LayerShapes.Describe(input)}; put a flatten layer before it");
        }

        if (!check.Failed && TiedTo is { } tied)
        {
            CheckTie(tied, input[^1], check);
        }

        if (check.Failed)
        {
            return null;
        }

        check.AddParameters((TiedTo is null ? (long)input[^1] * Units : 0) + (HasBias ? Units : 0));
        return [.. input[..^1], Units];
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(build);
        return TiedTo is { } tied ? new TiedLinear(build.Shared(tied), HasBias ? Units : 0) : WeightInit.Normal(Linear(input[^1], Units, hasBias: HasBias), InitStd);
    }

    /// <summary>x · Wᵀ + b: TorchSharp keeps W as [units, in]. A sequence's batch of [N, T, C] takes MatMul, which broadcasts; Gemm is for matrices.</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 1 && HasBias)
        {
            return graph.Node("Gemm", [input, graph.Weight(Name + ".weight"), graph.Weight(Name + ".bias")], graph.Output(Name), OnnxAttribute.Of("transB", 1L));
        }

        string transposed = graph.Node("Transpose", [graph.Weight(Name + ".weight")], graph.Output(Name) + ".weightT", OnnxAttribute.Of("perm", 1L, 0L));
        string product = graph.Node("MatMul", [input, transposed], graph.Output(Name) + (HasBias ? ".matmul" : string.Empty));
        return HasBias ? graph.Node("Add", [product, graph.Weight(Name + ".bias")], graph.Output(Name)) : product;
    }

    private void CheckTie(string tied, int width, LayerCheck check)
    {
        if (check.EmbeddingNamed(tied) is not { } embedding)
        {
            check.Fail("tiedTo", $"names no embedding layer before this one: '{tied}'; name the embedding layer whose weight this layer shares");
        }
        else if (embedding.Vocabulary != Units)
        {
            check.Fail("units", $"is {Units} but a layer tied to '{tied}' gives one output per token of its vocabulary: {embedding.Vocabulary}");
        }
        else if (embedding.Width != width)
        {
            check.Fail("tiedTo", $"'{tied}' has width {embedding.Width} but this layer receives {width}; a tied layer reads vectors of the embedding's width");
        }
    }

    /// <summary>x · Wᵀ (+ b) with W another layer's parameter: one tensor, two state-dict keys, as PyTorch ties them.</summary>
    private sealed class TiedLinear : Module<Tensor, Tensor>
    {
        private readonly global::TorchSharp.Modules.Parameter weight;
        private readonly global::TorchSharp.Modules.Parameter? bias;

        public TiedLinear(global::TorchSharp.Modules.Parameter shared, int biasUnits)
            : base(nameof(TiedLinear))
        {
            weight = shared;
            bias = biasUnits > 0 ? Parameter(zeros(biasUnits)) : null;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => functional.linear(input, weight, bias);
    }
}
