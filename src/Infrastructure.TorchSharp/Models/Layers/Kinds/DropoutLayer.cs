using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>dropout</c>: zeroes each value with probability <c>p</c> (default 0.5, 0 ≤ p &lt; 1) in training; the shape
/// unchanged. It draws its masks from the step's private generator, so training seeds it when p &gt; 0.
/// </summary>
public sealed record DropoutLayer(string Name, double P) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "dropout",
        (name, spec, check) =>
        {
            if (spec.P is not { } p || !(double.IsFinite(p) && p >= 0 && p < 1))
            {
                check.Fail("p", "must be at least 0 and less than 1");
            }

            return new DropoutLayer(name, spec.P ?? 0);
        },
        spec => spec with { P = spec.P ?? 0.5 });

    public override bool DrawsRandomNumbers => P > 0;

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return check.Failed ? null : input;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        // Without randomness (evaluation, merges) a plain Dropout stands in: it has no state and is an identity in eval mode.
        return build.Randomness is { } randomness ? new CounterDropout(P, randomness) : Dropout(P);
    }

    /// <summary>An identity in eval mode.</summary>
    public override string ToOnnx(OnnxGraph graph, string input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Identity", [input], graph.Output(Name));
    }
}
