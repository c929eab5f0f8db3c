using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>selfAttention</c>: multi-head scaled dot-product self-attention over a sequence [T, C], the shape unchanged.
/// <c>heads</c> must divide C; <c>causal</c> (default false) lets each position attend only to itself and earlier
/// ones, as a language model needs; <c>p</c> (default 0) drops attention weights and the output in training;
/// <c>bias</c> (default true) gives the projections biases. Over padded texts, padding positions are never attended
/// to. <c>initStd</c> and <c>residualInitStd</c> (for <c>proj</c>): see <see cref="WeightInit"/>. Keys: <c>{name}.qkv.*</c> (the query, key and value projections as one [3C, C] matrix, in that order) and
/// <c>{name}.proj.*</c>.
/// </summary>
public sealed record SelfAttentionLayer(string Name, int Heads, bool Causal, double P, bool HasBias, double? InitStd = null, double? ResidualInitStd = null) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "selfAttention",
        (name, spec, check) => new SelfAttentionLayer(
            name,
            check.Size(spec.Heads, "heads", 1, LayerShapes.MaxHeads),
            spec.Causal ?? false,
            CheckedDropout(spec.P, check),
            spec.Bias ?? true,
            WeightInit.Checked(spec.InitStd, "initStd", check),
            WeightInit.Checked(spec.ResidualInitStd, "residualInitStd", check)),
        spec => spec with { Causal = spec.Causal ?? false, P = spec.P ?? 0, Bias = spec.Bias ?? true });

    public override bool DrawsRandomNumbers => P > 0;

    /// <summary>A dropout probability in [0, 1), reported at <c>p</c> otherwise.</summary>
    internal static double CheckedDropout(double? p, LayerCheck check)
    {
        if (p is { } value && !(double.IsFinite(value) && value >= 0 && value < 1))
        {
            check.Fail("p", "must be at least 0 and less than 1");
            return 0;
        }

        return p ?? 0;
    }

    /// <summary>The parameters of the attention's projections at width <paramref name="width"/>.</summary>
    internal static long ParametersAt(long width, bool hasBias) => (4 * width * width) + (hasBias ? 4 * width : 0);

    /// <summary>Whether <paramref name="heads"/> divide the width; reported at <c>heads</c> when not.</summary>
    internal static bool HeadsDivide(int[] input, int heads, LayerCheck check)
    {
        if (input[1] % heads == 0)
        {
            return true;
        }

        check.Fail("heads", $"must divide the width {input[1]} of the sequence {LayerShapes.Describe(input)} (each head takes an equal share)");
        return false;
    }

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (check.Failed || !check.IsSequence(input, "selfAttention") || !HeadsDivide(input, Heads, check))
        {
            return null;
        }

        check.AddParameters(ParametersAt(input[1], HasBias));
        return input;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(build);
        return new MultiHeadSelfAttention(input[1], Heads, Causal, P, HasBias, build, InitStd, ResidualInitStd);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape) =>
        throw new NotSupportedException("selfAttention layers have no ONNX export yet; export the model as pytorch or safetensors");

    /// <summary>
    /// [N, T, C] to [N, T, C]. Without dropout in play it calls libtorch's fused attention; with it (training, p &gt; 0)
    /// it spells the attention out, so that the weights' mask comes from the step's own generator and a resumed step
    /// drops what the uninterrupted one did (the fused kernel would draw from the process-wide generator).
    /// </summary>
    internal sealed class MultiHeadSelfAttention : Module<Tensor, Tensor>
    {
        private readonly global::TorchSharp.Modules.Linear qkv;
        private readonly global::TorchSharp.Modules.Linear proj;
        private readonly Module<Tensor, Tensor> attentionDropout;
        private readonly Module<Tensor, Tensor> outputDropout;
        private readonly long _heads;
        private readonly bool _causal;
        private readonly double _p;
        private readonly PaddingMask? _padding;

        public MultiHeadSelfAttention(int width, int heads, bool causal, double p, bool hasBias, LayerBuild build, double? initStd, double? residualInitStd)
            : base(nameof(MultiHeadSelfAttention))
        {
            qkv = WeightInit.Normal(Linear(width, 3L * width, hasBias: hasBias), initStd);
            proj = WeightInit.Normal(Linear(width, width, hasBias: hasBias), residualInitStd ?? initStd);
            attentionDropout = DropoutFor(p, build);
            outputDropout = DropoutFor(p, build);
            _heads = heads;
            _causal = causal;
            _p = p;
            _padding = build.Padding;
            RegisterComponents();
        }

        /// <summary>The step's counter-based dropout where training draws; a plain (stateless, eval-identity) one elsewhere.</summary>
        internal static Module<Tensor, Tensor> DropoutFor(double p, LayerBuild build) =>
            build.Randomness is { } randomness ? new CounterDropout(p, randomness) : Dropout(p);

        public override Tensor forward(Tensor input)
        {
            long n = input.shape[0], t = input.shape[1], c = input.shape[2], d = c / _heads;
            Tensor[] parts = qkv.call(input).split(c, 2);
            Tensor query = parts[0].view(n, t, _heads, d).transpose(1, 2);
            Tensor key = parts[1].view(n, t, _heads, d).transpose(1, 2);
            Tensor value = parts[2].view(n, t, _heads, d).transpose(1, 2);
            Tensor attended;
            if (training && _p > 0)
            {
                Tensor scores = query.matmul(key.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(d));
                using Tensor? allowed = Allowed(t);
                if (allowed is not null)
                {
                    using Tensor hidden = allowed.logical_not();
                    scores = scores.masked_fill(hidden, double.NegativeInfinity);
                }

                attended = attentionDropout.call(functional.softmax(scores, -1)).matmul(value);
            }
            else if (_padding?.Keep is null)
            {
                // libtorch's causal kernel, faster than the same mask spelled out.
                attended = functional.scaled_dot_product_attention(query, key, value, is_casual: _causal);
            }
            else
            {
                using Tensor allowed = Allowed(t)!;
                attended = functional.scaled_dot_product_attention(query, key, value, allowed);
            }

            return outputDropout.call(proj.call(attended.transpose(1, 2).contiguous().view(n, t, c)));
        }

        /// <summary>
        /// Which keys each query may attend to, true where it may: [T, T] (earlier positions, when causal), [N, 1, 1, T]
        /// (the tokens, when texts are padded), or both combined; null when every key is allowed and not causal.
        /// </summary>
        private Tensor? Allowed(long t)
        {
            Tensor? keep = _padding?.Keep;
            if (!_causal && keep is null)
            {
                return null;
            }

            using Tensor? past = _causal ? ones(t, t, ScalarType.Bool).tril() : null;
            if (keep is null)
            {
                return past!.alias();
            }

            Tensor keys = keep.unsqueeze(1).unsqueeze(1);
            return past is null ? keys : keys.logical_and(past);
        }
    }
}
