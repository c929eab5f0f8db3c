using System.Text;
using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>One token per UTF-8 byte: 256 ids, nothing unknown, the same vocabulary for every run.</summary>
public sealed class ByteTokenizer : ITextTokenizer, ITokenizerKind
{
    public TokenizerKind Kind => TokenizerKind.Byte;

    public int VocabularySize => 256;

    public IReadOnlyList<string>? Vocabulary => null;

    public int? UnknownId => null;

    public ITextTokenizer FromTraining(string trainingText) => this;

    public int[] Encode(string text, out int unknown)
    {
        unknown = 0;
        return [.. Encoding.UTF8.GetBytes(text).Select(value => (int)value)];
    }

    /// <summary>Bytes that do not end a UTF-8 character (a sample may stop inside one) decode as U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString([.. ids.Select(id => (byte)id)]);
}
