using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>sequencePool</c>: one vector for a whole sequence, [T, C] to [C]: the mean over positions (<c>mode</c>
/// <c>mean</c>, the default) or the last position's vector (<c>last</c>, what a causal model has read everything
/// by). Over padded texts, padding is left out of both. No weights.
/// </summary>
public sealed record SequencePoolLayer(string Name, string Mode) : Layer(Name)
{
    public const string Mean = "mean";
    public const string Last = "last";

    public static LayerType Kind { get; } = new(
        "sequencePool",
        (name, spec, check) =>
        {
            string mode = spec.Mode ?? Mean;
            if (mode is not (Mean or Last))
            {
                check.Fail("mode", $"must be {Mean} or {Last}");
            }

            return new SequencePoolLayer(name, mode);
        },
        spec => spec with { Mode = spec.Mode ?? Mean });

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        return check.Failed || !check.IsSequence(input, "sequencePool") ? null : [input[1]];
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return new Pool(Mode == Last, build.Padding);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shape);
        if (Mode == Mean)
        {
            return graph.Node("ReduceMean", [input], graph.Output(Name), OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L));
        }

        throw new NotSupportedException("sequencePool with mode last has no ONNX export yet; export the model as pytorch or safetensors");
    }

    /// <summary>Over padded texts, the mean of the token positions only, and the last token rather than the last position.</summary>
    private sealed class Pool(bool last, PaddingMask? padding) : Module<Tensor, Tensor>(nameof(Pool))
    {
        public override Tensor forward(Tensor input)
        {
            if (padding?.Keep is not { } keep)
            {
                return last ? input.select(1, -1) : input.mean([1]);
            }

            if (last)
            {
                using Tensor positions = arange(keep.shape[1], ScalarType.Int64);
                using Tensor kept = keep.to_type(ScalarType.Int64).mul(positions);
                using Tensor lastToken = kept.argmax(1);
                using Tensor rows = arange(keep.shape[0], ScalarType.Int64);
                return input.index(rows, lastToken);
            }

            using Tensor weights = keep.to_type(input.dtype).unsqueeze(-1);
            using Tensor sum = input.mul(weights).sum(1);
            using Tensor count = weights.sum(1);
            return sum.div(count);
        }
    }
}
