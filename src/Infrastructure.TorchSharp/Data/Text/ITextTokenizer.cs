using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>A tokenizer as a run uses it: text to token ids and back, over a vocabulary fixed for the run.</summary>
public interface ITextTokenizer
{
    TokenizerKind Kind { get; }

    int VocabularySize { get; }

    /// <summary>The vocabulary, id by id, when it was built from the run's data (char); null for a fixed one.</summary>
    IReadOnlyList<string>? Vocabulary { get; }

    /// <summary>The id of the unknown token, what the vocabulary lacks becomes; null when nothing can be unknown (byte-level tokenizers).</summary>
    int? UnknownId { get; }

    /// <summary>The ids of <paramref name="text"/>; what the vocabulary lacks becomes the unknown token, counted in <paramref name="unknown"/>.</summary>
    int[] Encode(string text, out int unknown);

    string Decode(IEnumerable<int> ids);
}

/// <summary>
/// One kind of tokenizer, found by its <see cref="TokenizerKind"/>: a new one is one class implementing this and one
/// member of the enumeration (<see cref="TextTokenizers"/> finds it, and a test fails while a member has none).
/// </summary>
public interface ITokenizerKind
{
    TokenizerKind Kind { get; }

    /// <summary>The tokenizer a run trains with, its vocabulary built from the training text where the kind builds one.</summary>
    ITextTokenizer FromTraining(string trainingText);
}

/// <summary>The tokenizer kinds, each a class of this folder.</summary>
public static class TextTokenizers
{
    private static readonly Dictionary<TokenizerKind, ITokenizerKind> ByKind =
        KindImplementations.Discover<TokenizerKind, ITokenizerKind>(kind => kind.Kind);

    public static ITokenizerKind? Find(TokenizerKind kind) => ByKind.GetValueOrDefault(kind);

    public static ITokenizerKind For(TokenizerKind kind) =>
        Find(kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "No tokenizer implements this kind.");
}
