using System.Globalization;
using System.Text;
using DurableTrainer.Application.Ports;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Text;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>
/// Autoregressive sampling from a language model: the prompt's ids, then each next token drawn from the last
/// position's logits over the last context-length tokens, at the request's temperature and top-k. The draw uses
/// <see cref="DeterministicRandom"/> seeded by (seed, position), in double precision from the logits' bits, so the
/// same request on the same checkpoint gives the same text.
/// </summary>
internal static class TextSampler
{
    // Kept apart from every training stream seeded from the same numbers.
    private const long SamplingStream = 0x5A3B;

    /// <summary>The tokenizer the run trained with, rebuilt from what its data recorded.</summary>
    public static ITextTokenizer TokenizerOf(TokenText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Tokenizer switch
        {
            null => throw new PredictionInputException("prompt", "the run read token ids (.npy) without a tokenizer, so a text prompt cannot be turned into its ids"),
            Domain.Kinds.TokenizerKind.Char => new CharTokenizer([.. text.Vocabulary!.Skip(1).Select(character => Rune.GetRuneAt(character, 0).Value)]),
            { } kind => TextTokenizers.For(kind).FromTraining(string.Empty),
        };
    }

    public static GeneratedText Generate(PredictionModel model, GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        TokenText text = model.Preprocessing.Text ?? throw new PredictionInputException("runId", "the run is not a language model");
        ITextTokenizer tokenizer = TokenizerOf(text);
        int[] prompt = tokenizer.Encode(request.Prompt, out int unknown);
        if (unknown > 0)
        {
            throw new PredictionInputException("prompt", UnknownCharacters(request.Prompt, tokenizer));
        }

        if (prompt.Length == 0)
        {
            throw new PredictionInputException("prompt", "must hold at least one token to continue from");
        }

        var ids = new List<long>(prompt.Length + request.MaxTokens);
        ids.AddRange(prompt.Select(id => (long)id));
        var generated = new List<int>(request.MaxTokens);
        for (int position = 0; position < request.MaxTokens; position++)
        {
            int start = Math.Max(0, ids.Count - text.ContextLength);
            float[] logits = model.NextTokenLogits(ids.GetRange(start, ids.Count - start).ToArray());
            int next = Draw(logits, request, DeterministicRandom.For(request.Seed, position, SamplingStream));
            generated.Add(next);
            ids.Add(next);
        }

        return new GeneratedText(tokenizer.Decode(generated), generated, prompt.Length);
    }

    /// <summary>One token: the likeliest at temperature 0, else a draw from softmax(logits / temperature) over the top k.</summary>
    internal static int Draw(float[] logits, GenerationRequest request, DeterministicRandom random)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        if (request.Temperature == 0)
        {
            return best;
        }

        // The k-th largest logit bounds the candidates; ties at the bound stay in, so the choice never depends on order.
        float bound = float.NegativeInfinity;
        if (request.TopK is { } k && k < logits.Length)
        {
            float[] sorted = [.. logits];
            Array.Sort(sorted);
            bound = sorted[^k];
        }

        var weights = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            weights[i] = logits[i] >= bound ? Math.Exp((logits[i] - logits[best]) / request.Temperature) : 0;
            total += weights[i];
        }

        double target = random.NextDouble() * total;
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            sum += weights[i];
            if (weights[i] > 0 && target < sum)
            {
                return i;
            }
        }

        return best;
    }

    private static string UnknownCharacters(string prompt, ITextTokenizer tokenizer)
    {
        int offset = 0;
        foreach (Rune rune in prompt.EnumerateRunes())
        {
            _ = tokenizer.Encode(rune.ToString(), out int missing);
            if (missing > 0)
            {
                return $"the character '{rune}' (U+{rune.Value.ToString("X4", CultureInfo.InvariantCulture)}) at offset {offset} is not in the run's vocabulary of {tokenizer.VocabularySize - 1} characters";
            }

            offset += rune.Utf16SequenceLength;
        }

        return "holds characters the run's vocabulary lacks";
    }
}
