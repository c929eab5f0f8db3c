using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>positionalEmbedding</c>: adds a learned vector per position to a sequence [T, C], for up to <c>context</c>
/// positions (T ≤ context); the shape unchanged. Its weight [context, C] is drawn from N(0, 1), as a PyTorch
/// nn.Embedding's is (N(0, <c>initStd</c>) when given), under the key <c>{name}.weight</c>.
/// </summary>
public sealed record PositionalEmbeddingLayer(string Name, int Context, double? InitStd = null) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "positionalEmbedding",
        (name, spec, check) => new PositionalEmbeddingLayer(name, check.Size(spec.Context, "context", 1, LayerShapes.MaxContext), WeightInit.Checked(spec.InitStd, "initStd", check)));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (check.Failed || !check.IsSequence(input, "positionalEmbedding"))
        {
            return null;
        }

        if (input[0] > Context)
        {
            check.Fail("context", $"is {Context} positions but the sequence has {input[0]}; it must be at least the sequence's length");
            return null;
        }

        check.AddParameters((long)Context * input[1]);
        return input;
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new LearnedPositions(Context, input[1], InitStd ?? 1);
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape) =>
        throw new NotSupportedException("positionalEmbedding layers have no ONNX export yet; export the model as pytorch or safetensors");

    /// <summary>x + weight[:T], broadcast over the batch.</summary>
    private sealed class LearnedPositions : Module<Tensor, Tensor>
    {
        private readonly global::TorchSharp.Modules.Parameter weight;

        public LearnedPositions(int context, int width, double std)
            : base(nameof(LearnedPositions))
        {
            weight = EmbeddingLayer.TokenEmbedding.NormalTable(context, width, std);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using Tensor positions = weight.narrow(0, 0, input.shape[^2]);
            return input.add(positions);
        }
    }
}
