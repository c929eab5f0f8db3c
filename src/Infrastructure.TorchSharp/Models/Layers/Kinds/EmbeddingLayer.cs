using DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers.Kinds;

/// <summary>
/// <c>embedding</c>: a learned vector of <c>width</c> for each of <c>vocabulary</c> token ids, [T] ids to [T, width].
/// The ids arrive as numbers (int64, or float32 holding whole numbers, as token arrays are read); its weight
/// [vocabulary, width] is drawn from N(0, 1), as PyTorch's nn.Embedding draws it (N(0, <c>initStd</c>) when given),
/// under the key <c>{name}.weight</c>;
/// a <c>linear</c> layer with <c>tiedTo</c> naming it shares that weight as its own.
/// </summary>
public sealed record EmbeddingLayer(string Name, int Vocabulary, int Width, double? InitStd = null) : Layer(Name)
{
    public static LayerType Kind { get; } = new(
        "embedding",
        (name, spec, check) => new EmbeddingLayer(
            name,
            check.Size(spec.Vocabulary, "vocabulary", 1, LayerShapes.MaxVocabulary),
            check.Size(spec.Width, "width", 1, LayerShapes.MaxUnits),
            WeightInit.Checked(spec.InitStd, "initStd", check)));

    public override int[]? Output(int[] input, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(check);
        if (input.Length != 1)
        {
            check.Fail("", $"embedding expects token ids [positions] but receives {LayerShapes.Describe(input)}");
        }

        if (!check.Failed && check.DataVocabulary is { } data && Vocabulary < data)
        {
            check.Fail("vocabulary", $"is {Vocabulary} but the data holds token ids up to {data - 1}; it must be at least the data's vocabulary of {data}");
        }

        if (check.Failed)
        {
            return null;
        }

        check.AddParameters((long)Vocabulary * Width);
        check.RecordEmbedding(Name, Vocabulary, Width);
        return [input[0], Width];
    }

    public override Module<Tensor, Tensor> Build(int[] input, LayerBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var embedding = new TokenEmbedding(Vocabulary, Width, InitStd ?? 1);
        build.Share(Name, embedding.Weight);
        return embedding;
    }

    public override string ToOnnx(OnnxGraph graph, string input, int[] shape) =>
        throw new NotSupportedException("embedding layers have no ONNX export yet; export the model as pytorch or safetensors");

    /// <summary>Looks up each id's row of <c>weight</c> (libtorch refuses an id outside the table, naming it).</summary>
    internal sealed class TokenEmbedding : Module<Tensor, Tensor>
    {
        private readonly global::TorchSharp.Modules.Parameter weight;

        public TokenEmbedding(int vocabulary, int width, double std)
            : base(nameof(TokenEmbedding))
        {
            weight = NormalTable(vocabulary, width, std);
            RegisterComponents();
        }

        /// <summary>A [rows, width] table drawn from N(0, std): std 1 is how PyTorch's nn.Embedding draws its weight.</summary>
        internal static global::TorchSharp.Modules.Parameter NormalTable(long rows, long width, double std)
        {
            global::TorchSharp.Modules.Parameter table = Parameter(empty(rows, width));
            using (no_grad())
            {
                init.normal_(table, 0, std);
            }

            return table;
        }

        /// <summary>The table itself, for an output layer tied to it.</summary>
        public global::TorchSharp.Modules.Parameter Weight => weight;

        public override Tensor forward(Tensor input)
        {
            using Tensor ids = input.dtype == ScalarType.Int64 ? input.alias() : input.to_type(ScalarType.Int64);
            using Tensor flat = ids.reshape(-1);
            return weight.index_select(0, flat).reshape([.. ids.shape, weight.shape[1]]);
        }
    }
}
