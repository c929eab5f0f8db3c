using System.Text;
using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>
/// One token per character (Unicode scalar value): id 0 is the unknown token, for characters the training text
/// lacks (decoded as U+FFFD), then the training text's characters in code-point order, as nanoGPT's
/// shakespeare_char builds its vocabulary.
/// </summary>
public sealed class CharTokenizerKind : ITokenizerKind
{
    public TokenizerKind Kind => TokenizerKind.Char;

    public ITextTokenizer FromTraining(string trainingText)
    {
        ArgumentNullException.ThrowIfNull(trainingText);
        var seen = new SortedSet<int>();
        foreach (Rune rune in trainingText.EnumerateRunes())
        {
            seen.Add(rune.Value);
        }

        return new CharTokenizer([.. seen]);
    }
}

/// <summary>The char tokenizer over a fixed list of characters (id i + 1 is <c>characters[i]</c>).</summary>
public sealed class CharTokenizer : ITextTokenizer
{
    public const int UnknownId = 0;

    private readonly Dictionary<int, int> _ids;
    private readonly int[] _characters;

    public CharTokenizer(IReadOnlyList<int> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        _characters = [.. characters];
        _ids = new Dictionary<int, int>(_characters.Length);
        for (int i = 0; i < _characters.Length; i++)
        {
            _ids.Add(_characters[i], i + 1);
        }

        Vocabulary = [Rune.ReplacementChar.ToString(), .. _characters.Select(value => new Rune(value).ToString())];
    }

    public TokenizerKind Kind => TokenizerKind.Char;

    public int VocabularySize => _characters.Length + 1;

    int? ITextTokenizer.UnknownId => UnknownId;

    public IReadOnlyList<string> Vocabulary { get; }

    public int[] Encode(string text, out int unknown)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        unknown = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (_ids.TryGetValue(rune.Value, out int id))
            {
                ids.Add(id);
            }
            else
            {
                ids.Add(UnknownId);
                unknown++;
            }
        }

        return [.. ids];
    }

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            text.Append(id > UnknownId && id <= _characters.Length ? new Rune(_characters[id - 1]).ToString() : Rune.ReplacementChar.ToString());
        }

        return text.ToString();
    }
}
