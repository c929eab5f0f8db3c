using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>
/// Turns what the formats read into a language model's dataset: UTF-8 text tokenized by <c>data.tokenizer</c>
/// (char by default), or token ids from a .npy with <c>data.vocabularySize</c>.
/// <list type="bullet">
/// <item>One text or array is split as nanoGPT splits it, contiguous: [train | validation | test], validation and
/// test being the tail fractions of the whole; files given for validation or test replace their share.</item>
/// <item>A vocabulary the tokenizer builds (char) comes from the training split alone; what the other splits hold
/// beyond it is read as the unknown token and counted.</item>
/// <item>Every split must hold at least <c>data.contextLength</c> + 1 tokens: a window and its targets.</item>
/// </list>
/// The model then reads [T] ids and predicts [T, vocabulary].
/// </summary>
public static class LanguageModelData
{
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The splits pass to the LoadedDataset returned, which owns and disposes them.")]
    public static LoadedDataset Assemble(string name, string digest, DataSection data, DataRead train, DataRead? test, DataRead? validation)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(train);
        int context = data.ContextLength ?? DataSection.DefaultContextLength;
        Streams streams = train.Text is { } text
            ? FromText(data, text, test?.Text, validation?.Text)
            : FromIds(data, Ids(train, data, "data.source"), test is null ? null : Ids(test, data, "data.test"), validation is null ? null : Ids(validation, data, "data.validation"));
        foreach ((long[] ids, string part, string field) in new[] { (streams.Train, "training", "data.source"), (streams.Validation, "validation", data.Validation is null ? "data.validationFraction" : "data.validation"), (streams.Test, "test", data.Test is null ? "data.testFraction" : "data.test") })
        {
            if (ids.Length < context + 1)
            {
                throw new DataFormatException(
                    $"the {part} text holds {ids.Length} tokens; a language model needs at least data.contextLength + 1 = {context + 1} in each split (a window and the tokens it predicts): give more text, or lower data.contextLength",
                    field);
            }
        }

        var shape = new DataShape([context], streams.VocabularySize) { Vocabulary = streams.VocabularySize, OutputsPerPosition = true };
        var preprocessing = new Preprocessing("none", [0f], [1f])
        {
            Text = new TokenText(streams.Tokenizer?.Kind, streams.Tokenizer?.Vocabulary, streams.VocabularySize, context, streams.UnknownInValidation, streams.UnknownInTest),
        };
        return new LoadedDataset(name, shape, LearningTask.LanguageModel,
            new TokenStreamSplit(streams.Train, context), new TokenStreamSplit(streams.Validation, context), new TokenStreamSplit(streams.Test, context),
            preprocessing, digest);
    }

    private static Streams FromText(DataSection data, TextRead train, TextRead? test, TextRead? validation)
    {
        if (data.VocabularySize is not null)
        {
            throw new DataFormatException("goes with token arrays (.npy of token ids); a text's vocabulary comes from data.tokenizer", "data.vocabularySize");
        }

        string all = train.Text;
        (int trainEnd, int validationEnd) = Cuts(all.Length, data, test is null, validation is null, index => index > 0 && index < all.Length && char.IsLowSurrogate(all[index]) ? index - 1 : index);
        string trainText = all[..trainEnd];
        string validationText = validation?.Text ?? all[trainEnd..validationEnd];
        string testText = test?.Text ?? all[validationEnd..];
        ITextTokenizer tokenizer = TextTokenizers.For(data.Tokenizer ?? TokenizerKind.Char).FromTraining(trainText);
        int[] trainIds = tokenizer.Encode(trainText, out _);
        int[] validationIds = tokenizer.Encode(validationText, out int unknownInValidation);
        int[] testIds = tokenizer.Encode(testText, out int unknownInTest);
        return new Streams(Longs(trainIds), Longs(validationIds), Longs(testIds), tokenizer.VocabularySize, tokenizer, unknownInValidation, unknownInTest);
    }

    private static Streams FromIds(DataSection data, long[] train, long[]? test, long[]? validation)
    {
        (int trainEnd, int validationEnd) = Cuts(train.Length, data, test is null, validation is null, index => index);
        return new Streams(
            train[..trainEnd],
            validation ?? train[trainEnd..validationEnd],
            test ?? train[validationEnd..],
            data.VocabularySize!.Value,
            null,
            0,
            0);
    }

    /// <summary>Where training ends and validation ends in a stream of <paramref name="length"/>: the held-out shares are its tail fractions.</summary>
    private static (int TrainEnd, int ValidationEnd) Cuts(int length, DataSection data, bool testHeldOut, bool validationHeldOut, Func<int, int> onBoundary)
    {
        int testLength = testHeldOut ? (int)Math.Round(length * (data.TestFraction ?? DataSection.DefaultTextFraction), MidpointRounding.AwayFromZero) : 0;
        int validationLength = validationHeldOut ? (int)Math.Round(length * (data.ValidationFraction ?? DataSection.DefaultTextFraction), MidpointRounding.AwayFromZero) : 0;
        int validationEnd = onBoundary(length - testLength);
        int trainEnd = onBoundary(Math.Max(0, validationEnd - validationLength));
        return (trainEnd, validationEnd);
    }

    /// <summary>The token ids an array holds, every one a whole number in [0, data.vocabularySize).</summary>
    private static long[] Ids(DataRead read, DataSection data, string field)
    {
        if (read.Text is not null)
        {
            throw new DataFormatException("is text, but the training data is token ids; give every split in one form", field);
        }

        if (read.Examples is not { } examples)
        {
            throw new DataFormatException(
                $"'{read.Table?.File}' is a table; a language model reads UTF-8 text (.txt) or token ids (.npy of whole numbers)", field);
        }

        if (data.VocabularySize is not { } vocabulary)
        {
            throw new DataFormatException($"is required with token ids ('{examples.File}'): the number of distinct ids, each id lying in [0, vocabularySize)", "data.vocabularySize");
        }

        float[] values = examples.Features;
        var ids = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if (!(value >= 0 && value < vocabulary && value == MathF.Floor(value)))
            {
                throw new DataFormatException(
                    $"'{examples.File}' element {i}: {value.ToString(CultureInfo.InvariantCulture)} is not a token id; ids are whole numbers in [0, data.vocabularySize = {vocabulary})", field);
            }

            ids[i] = (long)value;
        }

        return ids;
    }

    private static long[] Longs(int[] ids) => [.. ids.Select(id => (long)id)];

    private sealed record Streams(long[] Train, long[] Validation, long[] Test, int VocabularySize, ITextTokenizer? Tokenizer, long UnknownInValidation, long UnknownInTest);
}
