using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Continues a prompt with a language model's checkpoint, token by token. The same request gives the same text: each
/// token is drawn from the model's distribution by a generator seeded with (seed, position). Problems with the prompt
/// (characters the run's vocabulary lacks) are a <see cref="PredictionInputException"/> naming <c>prompt</c>.
/// </summary>
public interface ITextGenerator
{
    Task<GeneratedText> GenerateAsync(CheckpointReference checkpoint, TrainingRecipe recipe, GenerationRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// What to generate: <see cref="MaxTokens"/> tokens after <see cref="Prompt"/>, sampled at <see cref="Temperature"/>
/// (0 takes the likeliest token every time) from the <see cref="TopK"/> likeliest (all when null).
/// </summary>
public sealed record GenerationRequest(string Prompt, int MaxTokens = GenerationRequest.DefaultMaxTokens, double Temperature = 1.0, int? TopK = null, long Seed = 0)
{
    public const int DefaultMaxTokens = 200;
    public const int MaxMaxTokens = 4096;
    public const int MaxPromptLength = 100_000;
    public const double MaxTemperature = 100;
}

/// <summary>The generated continuation (without the prompt), its token ids, and how many tokens the prompt became.</summary>
public sealed record GeneratedText(string Text, IReadOnlyList<int> Tokens, int PromptTokens);
