using System.Text;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Text;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using DurableTrainer.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Language modelling from text and token arrays: the contiguous tail splits, the vocabulary built from training
/// text only and the unknown tokens counted, windows drawn as a pure function of (seed, replica, micro-batch),
/// evaluation over every token once, the tokenizers, the refusals naming file, offset and field, and a small GPT
/// that learns a text and resumes bitwise.
/// </summary>
public sealed class LanguageModelTests(ITestOutputHelper output) : IDisposable
{
    private readonly ExecutorHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>Verse-like lines from a fixed vocabulary of words in a seeded order: a text with structure to learn, in ASCII.</summary>
    private static string PatternedText(int characters, int seed = 1)
    {
        string[] words = ["the", "king", "shall", "speak", "of", "love", "and", "war", "to", "his", "court", "by", "night"];
        var random = new DeterministicRandom((ulong)seed);
        var text = new StringBuilder(characters + 16);
        while (text.Length < characters)
        {
            int length = 4 + random.NextInt(4);
            for (int w = 0; w < length; w++)
            {
                text.Append(words[random.NextInt(words.Length)]).Append(w == length - 1 ? ".\n" : " ");
            }
        }

        return text.ToString(0, characters);
    }

    private static DataSection Text(string source, int context = 16, TokenizerKind? tokenizer = null) =>
        new(Source: source, Task: LearningTask.LanguageModel, ContextLength: context, Tokenizer: tokenizer);

    [Fact]
    public async Task CharText_IsSplitAtItsTail_WithTheVocabularyOfTheTrainingTextAndUnknownsCounted()
    {
        // 800 characters of a-h, then the tail tenths: validation holds 3 'X', test 2 'Y', neither in the training text.
        string train = new([.. Enumerable.Range(0, 800).Select(i => (char)('a' + (i * 7 % 8)))]);
        string validation = "XXX" + new string('a', 97);
        string test = "bYY" + new string('c', 97);
        _harness.DataFiles.Put("lm/text.txt", train + validation + test);

        DatasetCheck check = await _harness.Datasets.CheckAsync(Text("lm/text.txt"));

        Assert.Empty(check.Errors);
        // Eight characters and the unknown token; [16] ids in, [16, 9] logits out.
        Assert.Equal(new DataShape([16], 9) { Vocabulary = 9, OutputsPerPosition = true }, check.Shape);
        LoadedDataset dataset = await _harness.Datasets.GetAsync(check.Data!);
        TokenText text = dataset.Preprocessing.Text!;
        Assert.Equal(TokenizerKind.Char, text.Tokenizer);
        Assert.Equal(["\uFFFD", "a", "b", "c", "d", "e", "f", "g", "h"], text.Vocabulary);
        Assert.Equal((3L, 2L), (text.UnknownInValidation, text.UnknownInTest));
        Assert.Equal(799 / 16, dataset.Train.Count);
        Assert.Equal(LearningTask.LanguageModel, dataset.Task);
    }

    [Fact]
    public async Task TrainingWindows_AreAPureFunctionOfSeedReplicaAndMicroBatch_WithTargetsOnePositionOn()
    {
        _harness.DataFiles.Put("lm/text.txt", PatternedText(3000));
        LoadedDataset dataset = await _harness.Datasets.GetAsync((await _harness.Datasets.CheckAsync(Text("lm/text.txt"))).Data!);
        using var scope = NewDisposeScope();
        using ITrainingBatches first = dataset.Train.OpenTraining(replica: 1, replicaCount: 2, batchSize: 4, seed: 7);
        using ITrainingBatches again = dataset.Train.OpenTraining(replica: 1, replicaCount: 2, batchSize: 4, seed: 7);
        using ITrainingBatches otherReplica = dataset.Train.OpenTraining(replica: 0, replicaCount: 2, batchSize: 4, seed: 7);

        (Tensor features, Tensor targets) = first.Read(5);

        Assert.Equal([4L, 16L], features.shape);
        Assert.Equal(ScalarType.Int64, features.dtype);
        Assert.True(features.equal(again.Read(5).Features).all().item<bool>());
        Assert.False(features.equal(first.Read(6).Features).all().item<bool>());
        Assert.False(features.equal(otherReplica.Read(5).Features).all().item<bool>());
        Assert.True(features.narrow(1, 1, 15).equal(targets.narrow(1, 0, 15)).all().item<bool>(), "targets are not the features one position on");
    }

    [Fact]
    public void Evaluation_ReadsEveryTokenOnce_InConsecutiveWindows()
    {
        long[] ids = [.. Enumerable.Range(0, 103).Select(i => (long)(i % 50))];
        using var split = new TokenStreamSplit(ids, context: 10);
        var seen = new List<long>();

        split.ForEachBatch(4, (features, targets) =>
        {
            using Tensor kept = targets.masked_select(targets.ne(TokenStreamSplit.IgnoredTarget));
            seen.AddRange(kept.data<long>().ToArray());
        });

        // 102 tokens are predicted (every id but the first), each once and in order: 11 windows, the last overlapping the tenth.
        Assert.Equal(ids[1..], seen);
        Assert.Equal(10, split.Count);
    }

    [Fact]
    public void LanguageModelObjective_AveragesOverTokens_AndReportsPerplexityAndBits()
    {
        using var scope = NewDisposeScope();
        // Uniform logits over 8 tokens: the loss is ln 8, perplexity 8, 3 bits, whatever the targets.
        Tensor outputs = zeros(2, 5, 8);
        Tensor targets = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 0, TokenStreamSplit.IgnoredTarget, TokenStreamSplit.IgnoredTarget }).reshape(2, 5);
        ILearningTaskObjective objective = TaskObjectives.For(LearningTask.LanguageModel);
        ITaskEvaluation evaluation = objective.StartEvaluation(new Preprocessing("none", [0f], [1f]));

        evaluation.Add(outputs, targets);
        EvaluationMetrics metrics = evaluation.Result();

        Assert.Equal(Math.Log(8), objective.Loss(outputs, targets).item<float>(), 5);
        Assert.Equal(8, metrics.Examples);
        Assert.Equal(Math.Log(8), metrics.Loss, 5);
        Assert.Equal(8, metrics.Value(MonitorMetric.Perplexity), 4);
        Assert.Equal(3, metrics.Value(MonitorMetric.BitsPerToken), 5);
    }

    [Fact]
    public async Task SmallGpt_LearnsAPatternedText_AndTwoChunksEndBitwiseWhereOneDoes()
    {
        _harness.DataFiles.Put("lm/verse.txt", PatternedText(12_000));
        DatasetCheck check = await _harness.Datasets.CheckAsync(Text("lm/verse.txt"));
        TrainingRecipe recipe = TrainingRecipe.From(TrainingSpecification.Create(
            data: check.Data,
            model: new ModelSection("gpt", new Dictionary<string, double> { ["layers"] = 1, ["heads"] = 2, ["embedding"] = 32, ["dropout"] = 0.1 }),
            optimizer: new OptimizerSection(OptimizerKind.AdamW, LearningRate: 3e-3),
            training: new TrainingSection(BatchSize: 8, Seed: 3)).GetValueOrThrow());
        CheckpointReference start = await _harness.InitializeAsync("lm-run", recipe);

        ChunkResult whole = await _harness.ChunkAsync(recipe, start, "whole", 0, 160);
        ChunkResult half = await _harness.ChunkAsync(recipe, start, "half", 0, 80);
        ChunkResult resumed = await _harness.ChunkAsync(recipe, half.Checkpoint, "resumed", 80, 80);
        EvaluationMetrics validation = (await _harness.Executor.EvaluateAsync(new EvaluateCommand(whole.Checkpoint, recipe, EvaluationSplit.Validation))).Metrics;

        output.WriteLine($"validation loss {validation.Loss:F3}, perplexity {validation.Value(MonitorMetric.Perplexity):F2}, bits per token {validation.Value(MonitorMetric.BitsPerToken):F3} over {validation.Examples} tokens");
        Assert.Equal(_harness.Store.Blobs[whole.Checkpoint], _harness.Store.Blobs[resumed.Checkpoint]);
        // Guessing among the text's 24 symbols and the unknown token costs ln 25 = 3.2 nats, knowing their frequencies
        // about 2.8; a model that has learned the words gets well under both.
        Assert.InRange(validation.Loss, 0, 2.0);
        Assert.Equal(Math.Exp(validation.Loss), validation.Value(MonitorMetric.Perplexity), 6);
        Assert.Equal(1199, validation.Examples);

        using var predictor = new Prediction.TorchSharpModelPredictor(_harness.Store, _harness.Datasets, new TorchSharpExecutorOptions { Threads = 1 }, _harness.Models, _harness.DataFiles);
        var request = new GenerationRequest("the king ", MaxTokens: 40, Temperature: 0.9, TopK: 8, Seed: 4);
        GeneratedText first = await predictor.GenerateAsync(whole.Checkpoint, recipe, request);
        GeneratedText again = await predictor.GenerateAsync(whole.Checkpoint, recipe, request);
        GeneratedText reseeded = await predictor.GenerateAsync(whole.Checkpoint, recipe, request with { Seed = 5 });
        GeneratedText greedy = await predictor.GenerateAsync(whole.Checkpoint, recipe, request with { Temperature = 0 });
        output.WriteLine($"the king |{first.Text}|");
        Assert.Equal(first.Text, again.Text);
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.NotEqual(first.Tokens, reseeded.Tokens);
        Assert.Equal(greedy.Tokens, (await predictor.GenerateAsync(whole.Checkpoint, recipe, request with { Temperature = 0, Seed = 99 })).Tokens);
        Assert.Equal((40, 9), (first.Tokens.Count, first.PromptTokens));
        PredictionInputException refused = await Assert.ThrowsAsync<PredictionInputException>(() => predictor.GenerateAsync(whole.Checkpoint, recipe, request with { Prompt = "the Queen" }));
        Assert.Equal("prompt", refused.Field);
        Assert.Contains("'Q' (U+0051) at offset 4", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextThatIsNotUtf8_IsRefusedNamingTheFileAndTheByteOffset()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes(PatternedText(500)), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(PatternedText(500))];
        _harness.DataFiles.Put("lm/latin1.txt", bytes);

        DatasetCheck check = await _harness.Datasets.CheckAsync(Text("lm/latin1.txt"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains("'lm/latin1.txt' at byte offset 500", error.Rule, StringComparison.Ordinal);
        Assert.Contains("UTF-8", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASplitShorterThanTheContext_IsRefusedNamingItsField()
    {
        _harness.DataFiles.Put("lm/short.txt", PatternedText(400));

        DatasetCheck check = await _harness.Datasets.CheckAsync(Text("lm/short.txt", context: 64));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.validationFraction", error.Field);
        Assert.Contains("holds 40 tokens", error.Rule, StringComparison.Ordinal);
        Assert.Contains("data.contextLength + 1 = 65", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenArrays_NeedTheirVocabularySize_AndAnIdOutsideItIsNamed()
    {
        long[] ids = [.. Enumerable.Range(0, 2000).Select(i => (long)(i * 31 % 97))];
        _harness.DataFiles.Put("lm/ids.npy", DataFiles.Npy(ids, ids.Length));
        long[] bad = [.. ids];
        bad[1234] = 97;
        _harness.DataFiles.Put("lm/bad.npy", DataFiles.Npy(bad, bad.Length));

        DatasetCheck good = await _harness.Datasets.CheckAsync(new DataSection(Source: "lm/ids.npy", Task: LearningTask.LanguageModel, ContextLength: 32, VocabularySize: 97));
        DatasetCheck missing = await _harness.Datasets.CheckAsync(new DataSection(Source: "lm/ids.npy", Task: LearningTask.LanguageModel));
        DatasetCheck outside = await _harness.Datasets.CheckAsync(new DataSection(Source: "lm/bad.npy", Task: LearningTask.LanguageModel, VocabularySize: 97));

        Assert.Empty(good.Errors);
        Assert.Equal(new DataShape([32], 97) { Vocabulary = 97, OutputsPerPosition = true }, good.Shape);
        Assert.Equal("data.vocabularySize", Assert.Single(missing.Errors).Field);
        ValidationError error = Assert.Single(outside.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains("'lm/bad.npy' element 1234: 97 is not a token id", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenizers_RoundTripText_Gpt2WithItsShippedVocabulary()
    {
        ITextTokenizer gpt2 = TextTokenizers.For(TokenizerKind.Gpt2).FromTraining(string.Empty);
        ITextTokenizer bytes = TextTokenizers.For(TokenizerKind.Byte).FromTraining(string.Empty);
        ITextTokenizer chars = TextTokenizers.For(TokenizerKind.Char).FromTraining("héllo");

        Assert.Equal([15496, 995], gpt2.Encode("Hello world", out int gpt2Unknown));
        Assert.Equal(0, gpt2Unknown);
        Assert.Equal("Hello world", gpt2.Decode(gpt2.Encode("Hello world", out _)));
        Assert.Equal(50_257, gpt2.VocabularySize);
        Assert.Equal(6, bytes.Encode("héllo", out _).Length);
        Assert.Equal("héllo", bytes.Decode(bytes.Encode("héllo", out _)));
        // h, l, o and é in code-point order after the unknown token.
        Assert.Equal([1, 4, 2, 2, 3], chars.Encode("héllo", out _));
        Assert.Equal("h\uFFFDllo", chars.Decode(chars.Encode("hallo", out int unknown)));
        Assert.Equal(1, unknown);
        Assert.All(Enum.GetValues<TokenizerKind>(), kind => Assert.NotNull(TextTokenizers.Find(kind)));
    }
}
