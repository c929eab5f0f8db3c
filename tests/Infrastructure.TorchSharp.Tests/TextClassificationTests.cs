using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using DurableTrainer.Infrastructure.TorchSharp.Prediction;
using DurableTrainer.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Texts to classify from a table's column (<c>data.text</c>): tokenized with the vocabulary of the training rows,
/// truncated and padded to the context; padding left out of attention and pooling; the default encoder and recipe
/// learning a topic task and resuming bitwise; rows to predict sent as text; and the refusals naming the column.
/// </summary>
public sealed class TextClassificationTests(ITestOutputHelper output) : IDisposable
{
    private readonly ExecutorHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static DataSection Texts(string source, int context = 48, string? validation = null) =>
        new(Source: source, Label: "topic", Text: "text", IdColumn: "id", ContextLength: context, Validation: validation);

    [Fact]
    public async Task TextColumn_IsTruncatedAndPadded_WithTheTrainingRowsVocabulary_AndUnknownsCounted()
    {
        _harness.DataFiles.Put("texts/train.csv", "id,text,topic,note\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"r{i},{(i % 2 == 0 ? "abcabcabcab" : "ba")},{(i % 2 == 0 ? "long" : "short")},x\n")));
        _harness.DataFiles.Put("texts/validation.csv", "id,text,topic\nv0,aXc,long\nv1,,short\n");

        DatasetCheck check = await _harness.Datasets.CheckAsync(Texts("texts/train.csv", context: 8, validation: "texts/validation.csv"));

        Assert.Empty(check.Errors);
        // 'a', 'b', 'c' and the unknown token, then the padding id: [8] ids of 5, to 2 classes.
        Assert.Equal(new DataShape([8], 2) { Vocabulary = 5, PaddingId = 4 }, check.Shape);
        LoadedDataset dataset = await _harness.Datasets.GetAsync(check.Data!);
        Assert.Equal(["\uFFFD", "a", "b", "c"], dataset.Preprocessing.Text!.Vocabulary);
        Assert.Equal((4, 1L), (dataset.Preprocessing.Text.PaddingId, dataset.Preprocessing.Text.UnknownInValidation));
        Tensor validation = dataset.Validation.Held().Features;
        Assert.Equal(new float[] { 1, 0, 3, 4, 4, 4, 4, 4 }, validation[0].data<float>().ToArray());
        Assert.Equal(new float[] { 4, 4, 4, 4, 4, 4, 4, 4 }, validation[1].data<float>().ToArray());
        Tensor train = dataset.Train.Held().Features;
        float[][] rows = [.. Enumerable.Range(0, (int)train.shape[0]).Select(row => train[row].data<float>().ToArray())];
        Assert.Contains(new float[] { 1, 2, 3, 1, 2, 3, 1, 2 }, rows);
        Assert.Contains(new float[] { 2, 1, 4, 4, 4, 4, 4, 4 }, rows);
    }

    [Fact]
    public async Task TheCharVocabulary_ComesFromTheTrainingRowsOnly_NotFromTheRowsHeldOut()
    {
        // Each row's text is one letter of its own: the held-out rows' letters are unknown to the model.
        _harness.DataFiles.Put("texts/letters.csv", "id,text,topic\n" + string.Concat(Enumerable.Range(0, 26).Select(i => $"r{i},{(char)('a' + i)},{(i % 2 == 0 ? "even" : "odd")}\n")));

        DatasetCheck check = await _harness.Datasets.CheckAsync(Texts("texts/letters.csv") with { TestFraction = 0.2, ValidationFraction = 0.2 });
        LoadedDataset dataset = await _harness.Datasets.GetAsync(check.Data!);

        int training = dataset.Train.Count;
        Assert.Equal(training + 1, dataset.Preprocessing.Text!.Vocabulary!.Count);
        Assert.Equal(dataset.Validation.Count, dataset.Preprocessing.Text.UnknownInValidation);
        Assert.Equal(dataset.Test.Count, dataset.Preprocessing.Text.UnknownInTest);
    }

    [Theory]
    [InlineData("mean")]
    [InlineData("last")]
    public void PaddedTexts_GiveTheOutputsOfTheTextAlone_WhateverThePadding(string pooling)
    {
        const int Padding = 9;
        IReadOnlyList<LayerSpec> layers = LayerResolution.Resolve(
        [
            new LayerSpec("embedding", Vocabulary: Padding + 1, Width: 16),
            new LayerSpec("positionalEmbedding", Context: 12),
            new LayerSpec("transformerBlock", Heads: 4),
            new LayerSpec("selfAttention", Heads: 2, Causal: true),
            new LayerSpec("sequencePool", Mode: pooling),
            new LayerSpec("linear", Units: 3),
        ]);
        random.manual_seed(5);
        using var padded = LayerStackBuilder.Build(layers, [12], randomness: null, paddingId: Padding);
        random.manual_seed(5);
        using var unpadded = LayerStackBuilder.Build(layers, [12], randomness: null);
        padded.eval();
        unpadded.eval();
        using var scope = NewDisposeScope();
        Tensor text = tensor(new long[] { 3, 1, 4, 1, 5 }).unsqueeze(0);
        Tensor withPadding = cat([text, full(new long[] { 1, 7 }, Padding, dtype: ScalarType.Int64)], 1);

        using (no_grad())
        {
            Tensor alone = padded.call(text);
            Tensor filled = padded.call(withPadding);
            Assert.True(alone.allclose(filled, rtol: 1e-5, atol: 1e-6), $"padding moved the outputs: {string.Join(", ", alone.data<float>().ToArray())} vs {string.Join(", ", filled.data<float>().ToArray())}");
            // The same weights without the mask do read the padding: the test can tell.
            Assert.False(alone.allclose(unpadded.call(withPadding), rtol: 1e-5, atol: 1e-6));
            Assert.Equal(unpadded.state_dict().Keys, padded.state_dict().Keys);
        }
    }

    [Fact]
    public async Task DefaultEncoderAndRecipe_LearnTopicsFromACsv_ResumeBitwise_AndPredictTextRows()
    {
        _harness.DataFiles.Put("texts/topics.csv", DataFiles.TopicCsv(900));
        DatasetCheck check = await _harness.Datasets.CheckAsync(Texts("texts/topics.csv"));
        Assert.Empty(check.Errors);
        TrainingSpecification specification = TrainingSpecification.Create(data: check.Data, model: ModelSection.DefaultFor(check.Shape!), training: DefaultRecipe.TrainingFor(check.Data!) with { MaxSteps = 200 }).GetValueOrThrow();
        Assert.Equal("encoder", specification.Model.Architecture);
        Assert.Equal(OptimizerKind.AdamW, specification.Optimizer.Name);
        TrainingRecipe recipe = TrainingRecipe.From(specification);
        CheckpointReference start = await _harness.InitializeAsync("topics", recipe);

        ChunkResult whole = await _harness.ChunkAsync(recipe, start, "whole", 0, 200);
        ChunkResult half = await _harness.ChunkAsync(recipe, start, "half", 0, 100);
        ChunkResult resumed = await _harness.ChunkAsync(recipe, half.Checkpoint, "resumed", 100, 100);
        EvaluationMetrics test = (await _harness.Executor.EvaluateAsync(new EvaluateCommand(whole.Checkpoint, recipe, EvaluationSplit.Test))).Metrics;

        output.WriteLine($"test accuracy {test.Value(MonitorMetric.Accuracy):F3}, loss {test.Loss:F3} over {test.Examples} texts");
        Assert.Equal(_harness.Store.Blobs[whole.Checkpoint], _harness.Store.Blobs[resumed.Checkpoint]);
        // Three topics: guessing scores a third; the topic words give every text away.
        Assert.InRange(test.Value(MonitorMetric.Accuracy), 0.9, 1.0);

        using var predictor = new TorchSharpModelPredictor(_harness.Store, _harness.Datasets, new TorchSharpExecutorOptions { Threads = 1 }, _harness.Models, _harness.DataFiles);
        RowPredictions predictions = await predictor.PredictRowsAsync(whole.Checkpoint, recipe, JsonDocument.Parse(
            """[{"text":"the match was won by the team"},{"text":"spicy soup and baked bread"},{"text":"rain"},{"text":""}]""").RootElement);
        Assert.Equal(["sport", "food", "weather"], predictions.Predictions.Take(3).Select(prediction => prediction.Class));
        Assert.Equal(4, predictions.Predictions.Count);
        PredictionInputException missing = await Assert.ThrowsAsync<PredictionInputException>(() => predictor.PredictRowsAsync(whole.Checkpoint, recipe, JsonDocument.Parse("""[{"words":"goal"}]""").RootElement));
        Assert.Equal("rows[0].text", missing.Field);
    }

    [Theory]
    [InlineData("id,words,topic\nr0,hello,a\nr1,bye,b\n", "text", "data.source", "has no text column 'text' (data.text); its columns are id, words, topic")]
    [InlineData("id,text,class\nr0,hello,a\nr1,bye,b\n", "text", "data.source", "has no label column 'topic' (data.label)")]
    public async Task ATableWithoutTheNamedColumns_IsRefusedNamingTheColumn(string csv, string text, string field, string rule)
    {
        _harness.DataFiles.Put("texts/bad.csv", csv);

        DatasetCheck check = await _harness.Datasets.CheckAsync(Texts("texts/bad.csv") with { Text = text });

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(rule, error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATextColumnOfDataThatIsNoTable_IsRefusedAtDataText()
    {
        _harness.DataFiles.Put("texts/ids.npy", DataFiles.Npy(new float[] { 1, 2, 3, 4 }, 2, 2));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "texts/ids.npy", Label: "1", Text: "text"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.text", error.Field);
        Assert.Contains("is no table", error.Rule, StringComparison.Ordinal);
    }
}
