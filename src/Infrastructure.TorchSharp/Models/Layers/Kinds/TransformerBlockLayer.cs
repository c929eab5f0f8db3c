using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>transformerBlock</c>: a pre-norm transformer block over a sequence [T, C], the shape unchanged:
/// x + attention(layernorm(x)), then x + mlp(layernorm(x)), the MLP being C → <c>ratio</c>·C (default 4), GELU,
/// → C. <c>heads</c>, <c>causal</c>, <c>p</c> and <c>bias</c> are the attention's (see <see cref="SelfAttentionLayer"/>);
/// <c>p</c> also drops the MLP's output and <c>bias</c> also applies to the norms and the MLP. Keys:
/// <c>{name}.ln1.*</c>, <c>{name}.attention.qkv.*</c>, <c>{name}.attention.proj.*</c>, <c>{name}.ln2.*</c>,
/// <c>{name}.mlp.fc.*</c>, <c>{name}.mlp.proj.*</c>. <c>initStd</c> draws every weight matrix from N(0, initStd) and
/// zeroes the biases, <c>residualInitStd</c> the two <c>proj</c>s (see <see cref="WeightInit"/>).
/// </summary>
public sealed record TransformerBlockLayer(string Name, int Heads, int Ratio, bool Causal, double P, bool HasBias, double? InitStd = null, double? ResidualInitStd = null) : Layer(Name)
{
    public const int DefaultRatio = 4;

    public static LayerType Kind { get; } = new(
        "transformerBlock",
        (name, spec, check) => new TransformerBlockLayer(
            name,
            check.Size(spec.Heads, "heads", 1, LayerShapes.MaxHeads),
            check.Size(spec.Ratio, "ratio", 1, LayerShapes.MaxRatio),
            spec.Causal ?? false,
            SelfAttentionLayer.CheckedDropout(spec.P, check),
            spec.Bias ?? true,
            WeightInit.Checked(spec.InitStd, "initStd", check),
            WeightInit.Checked(spec.ResidualInitStd, "residualInitStd", check)),
        spec => spec with { Ratio = spec.Ratio ?? DefaultRatio, Causal = spec.Causal ?? false, P = spec.P ?? 0, Bias = spec.Bias ?? true });

    public override bool DrawsRandomNumbers => P > 0;

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (check.Failed || !check.IsSequence(input, "transformerBlock") || !SelfAttentionLayer.HeadsDivide(input, Heads, check))
        {
            return null;
        }

        long width = input[1], hidden = width * Ratio;
        long norms = (HasBias ? 4 : 2) * width;
        long mlp = (2 * width * hidden) + (HasBias ? hidden + width : 0);
        check.AddParameters(norms + SelfAttentionLayer.ParametersAt(width, HasBias) + mlp);
        return input;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(build);
        return new PreNormBlock(input[1], this, build);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape) =>
        throw new NotSupportedException("transformerBlock layers have no ONNX export yet; export the model as pytorch or safetensors");

    private sealed class PreNormBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> ln1;
        private readonly Module<Tensor, Tensor> attention;
        private readonly Module<Tensor, Tensor> ln2;
        private readonly Module<Tensor, Tensor> mlp;

        public PreNormBlock(int width, TransformerBlockLayer block, LayerBuild build)
            : base(nameof(PreNormBlock))
        {
            ln1 = LayerNorm(width, LayerNormLayer.Epsilon, elementwise_affine: true, bias: block.HasBias);
            attention = new SelfAttentionLayer.MultiHeadSelfAttention(width, block.Heads, block.Causal, block.P, block.HasBias, build, block.InitStd, block.ResidualInitStd);
            ln2 = LayerNorm(width, LayerNormLayer.Epsilon, elementwise_affine: true, bias: block.HasBias);
            long hidden = (long)width * block.Ratio;
            mlp = Sequential(
                ("fc", WeightInit.Normal(Linear(width, hidden, hasBias: block.HasBias), block.InitStd)),
                ("gelu", GELU()),
                ("proj", WeightInit.Normal(Linear(hidden, width, hasBias: block.HasBias), block.ResidualInitStd ?? block.InitStd)),
                ("dropout", SelfAttentionLayer.MultiHeadSelfAttention.DropoutFor(block.P, build)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            Tensor attended = input.add(attention.call(ln1.call(input)));
            return attended.add(mlp.call(ln2.call(attended)));
        }
    }
}
