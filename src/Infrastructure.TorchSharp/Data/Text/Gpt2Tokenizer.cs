using DurableTrainer.Domain.Kinds;
using Microsoft.ML.Tokenizers;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>
/// GPT-2's byte-pair encoding (50,257 ids), through Microsoft.ML.Tokenizers with the vocabulary that ships in its
/// Gpt2 data package: nothing is downloaded. Byte-level, so nothing is unknown.
/// </summary>
public sealed class Gpt2Tokenizer : ITextTokenizer, ITokenizerKind
{
    private static readonly Lazy<Tokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    public TokenizerKind Kind => TokenizerKind.Gpt2;

    public int VocabularySize => 50_257;

    public IReadOnlyList<string>? Vocabulary => null;

    public int? UnknownId => null;

    public ITextTokenizer FromTraining(string trainingText) => this;

    public int[] Encode(string text, out int unknown)
    {
        unknown = 0;
        return [.. Shared.Value.EncodeToIds(text)];
    }

    public string Decode(IEnumerable<int> ids) => Shared.Value.Decode(ids) ?? string.Empty;
}
