using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>
/// Predicts with a run's checkpoint through the run's own preprocessing, whatever the model (built-in, declarative or
/// TorchScript): rows sent in a request at once, and batch jobs part by part. A part reads its pinned files, checks
/// their hashes and the checkpoint's, predicts its rows in fixed batches and writes its file to a name fixed by (job,
/// part), so a redelivered part writes the same bytes again.
/// </summary>
public sealed class TorchSharpModelPredictor(
    ICheckpointStore checkpoints,
    DatasetProvider datasets,
    TorchSharpExecutorOptions options,
    ModelRegistry? models = null,
    IDatasetStore? store = null,
    ILogger? logger = null) : IModelPredictor, ITextGenerator, IDisposable
{
    private const int CachedModels = 8;
    private static readonly TimeSpan RecentFor = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<string, Lazy<PredictionModel>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _loadOrder = new();
    private readonly ConcurrentDictionary<string, (PredictionModel Model, long LoadedAt)> _recent = new(StringComparer.Ordinal);
    private readonly PredictionSource _source = new(store);
    private readonly int _threads = options.ResolveThreads();

    public async Task<RowPredictions> PredictRowsAsync(CheckpointReference checkpoint, TrainingRecipe recipe, JsonElement rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(recipe);
        PredictionModel model = await RecentModelAsync(checkpoint, recipe, cancellationToken);
        PredictionRows read = JsonRows.Read(rows, model.Dataset);
        RawExamples examples = read.Examples;
        PredictedValues predicted = await TensorThreads.RunAsync(() => model.Predict(examples, 0, examples.Count, options.PredictionBatchSize), _threads, cancellationToken);
        var answers = new RowPrediction[predicted.Count];
        for (int row = 0; row < answers.Length; row++)
        {
            answers[row] = predicted.Probabilities is { } probabilities
                ? new RowPrediction(predicted.ClassAt(row), predicted.ClassNames!.Select((name, c) => (name, c)).ToDictionary(pair => pair.name, pair => (double)probabilities[(row * predicted.Width) + pair.c], StringComparer.Ordinal), null)
                : new RowPrediction(null, null, predicted.Values!.AsSpan(row * predicted.Width, predicted.Width).ToArray());
        }

        return new RowPredictions(Domain.Specification.SpecificationNames.Of(model.Dataset.Task), predicted.ClassNames, answers, read.IgnoredColumns);
    }

    public async Task<GeneratedText> GenerateAsync(CheckpointReference checkpoint, TrainingRecipe recipe, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        PredictionModel model = await RecentModelAsync(checkpoint, recipe, cancellationToken);
        return await TensorThreads.RunAsync(() => TextSampler.Generate(model, request), _threads, cancellationToken);
    }

    public async Task<PredictionPlan> PlanAsync(CheckpointReference checkpoint, TrainingRecipe recipe, DataSection data, int rowsPerPart, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(data);
        if (PredictionData.Problems(data, recipe.Data) is { Count: > 0 } problems)
        {
            return new PredictionPlan(problems);
        }

        (PredictionModel model, string sha256) = await ModelAsync(checkpoint, recipe, pinnedSha256: null, cancellationToken);
        DataSection asRead = PredictionData.AsTheRunReadsIt(data, recipe.Data);
        try
        {
            var clock = Stopwatch.StartNew();
            PlannedParts planned = await _source.PlanAsync(asRead, model, rowsPerPart, cancellationToken);
            logger?.LogInformation("Planned {Parts} parts of {Rows} rows from '{Source}' in {Seconds:F2} s", planned.Parts.Count, planned.Rows, asRead.Source, clock.Elapsed.TotalSeconds);
            return planned.Parts.Count > PredictionRequest.MaxParts
                ? PredictionPlan.Failed(new ValidationError("rowsPerPart", $"cuts the data into {planned.Parts.Count} parts, more than {PredictionRequest.MaxParts}; give a larger rowsPerPart"))
                : new PredictionPlan([], sha256, asRead, planned.Parts, planned.Labelled, planned.IgnoredColumns, planned.Rows);
        }
        catch (Data.Formats.DataFormatException exception)
        {
            return PredictionPlan.Failed(new ValidationError(exception.Field ?? "data.source", exception.Message));
        }
    }

    public async Task<PredictionPartResult> PredictPartAsync(PredictPartCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var clock = Stopwatch.StartNew();
        (PredictionModel model, _) = await ModelAsync(command.Checkpoint, command.Recipe, command.CheckpointSha256, cancellationToken);
        TimeSpan loaded = clock.Elapsed;
        PredictionRows rows = await _source.ReadPartAsync(command, model, cancellationToken);
        TimeSpan read = clock.Elapsed;
        PredictionPart part = command.Part;
        EvaluationRecord? evaluation = command.Labelled ? new EvaluationRecord() : null;
        PredictedValues predicted = await TensorThreads.RunAsync(
            () => model.Predict(rows.Examples, part.FirstRow, part.Rows, options.PredictionBatchSize, evaluation), _threads, cancellationToken);
        string?[]? ids = rows.Ids?[(int)part.FirstRow..(int)(part.FirstRow + part.Rows)];
        TimeSpan predictedAt = clock.Elapsed;
        byte[] content = PredictionFiles.Write(command.Destination.Format, predicted, ids, command.Data.IdColumn);
        PredictionDestination destination = command.Destination;
        IDatasetStore files = _source.Store;
        if (evaluation is not null)
        {
            await files.SaveAsync(destination.Container, destination.EvaluationPath(part.Index), PredictionFiles.WriteEvaluation(evaluation), cancellationToken);
        }

        // The part file last: once it exists, so does everything the job's summary reads for it.
        string path = destination.PartPath(part.Index);
        await files.SaveAsync(destination.Container, path, content, cancellationToken);
        logger?.LogInformation(
            "Predicted part {Part} of {PredictionId}: {Rows} rows in {Seconds:F2} s (model {Model:F2} s, reading {Reading:F2} s, predicting {Predicting:F2} s, writing {Writing:F2} s)",
            part.Index, command.PredictionId, part.Rows, clock.Elapsed.TotalSeconds, loaded.TotalSeconds, (read - loaded).TotalSeconds, (predictedAt - read).TotalSeconds, (clock.Elapsed - predictedAt).TotalSeconds);
        return new PredictionPartResult(part.Index, path[destination.Folder.Length..], part.Rows, Sha256(content), clock.Elapsed.TotalSeconds);
    }

    public async Task<EvaluationMetrics> SummarizeAsync(SummarizePredictionsCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        LoadedDataset dataset = await datasets.GetAsync(command.Recipe.Data, cancellationToken);
        ILearningTaskObjective objective = TaskObjectives.For(dataset.Task);
        ITaskEvaluation evaluation = objective.StartEvaluation(dataset.Preprocessing);
        PredictionDestination destination = command.Destination;
        for (int index = 0; index < command.Parts; index++)
        {
            string path = destination.EvaluationPath(index);
            byte[] content = await _source.Store.ReadAsync(destination.Container, path, cancellationToken)
                ?? throw new DatasetException($"The evaluation file '{path}' of prediction job {command.PredictionId} is missing from {_source.Store.LocationOf(destination.Container)}; it was deleted while the job ran.");
            await TensorThreads.RunAsync(() => AddPart(evaluation, path, content), _threads, cancellationToken);
        }

        return evaluation.Result();
    }

    private static bool AddPart(ITaskEvaluation evaluation, string path, byte[] content)
    {
        (Data.Formats.NumPyArray outputs, Data.Formats.NumPyArray targets, bool classTargets) = PredictionFiles.ReadEvaluation(path, content);
        using var scope = NewDisposeScope();
        Tensor output = tensor(outputs.ToSingles(), [outputs.Shape[0], outputs.Shape[1]]);
        Tensor target = classTargets
            ? tensor(Array.ConvertAll(targets.Values, value => (long)value), [targets.Shape[0]])
            : tensor(targets.ToSingles(), [targets.Shape[0], targets.Shape[1]]);
        evaluation.Add(output, target);
        return true;
    }

    public async Task WriteManifestAsync(WriteManifestCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        PredictionDestination destination = command.Destination;
        await _source.Store.SaveAsync(destination.Container, destination.ManifestPath, JsonSerializer.SerializeToUtf8Bytes(command.Manifest, ManifestJson), cancellationToken);
    }

    /// <summary>
    /// For requests of a few rows: the model this checkpoint gave within the last <see cref="RecentFor"/>, without
    /// reading and hashing the checkpoint again (most of a one-row request's time otherwise). A finished run's
    /// checkpoint does not change; the window bounds how long a purged and retrained run of the same id could be
    /// answered by its predecessor's model.
    /// </summary>
    private async Task<PredictionModel> RecentModelAsync(CheckpointReference checkpoint, TrainingRecipe recipe, CancellationToken cancellationToken)
    {
        string key = $"{checkpoint}|{CheckpointMetadataKey(recipe)}";
        if (_recent.TryGetValue(key, out (PredictionModel Model, long LoadedAt) recent) && Stopwatch.GetElapsedTime(recent.LoadedAt) < RecentFor)
        {
            return recent.Model;
        }

        (PredictionModel model, _) = await ModelAsync(checkpoint, recipe, pinnedSha256: null, cancellationToken);
        _recent[key] = (model, Stopwatch.GetTimestamp());
        return model;
    }

    /// <summary>
    /// The checkpoint's model, loaded once per content: the checkpoint is read and hashed on every call (a job's
    /// parts check it against the hash pinned at submission) and the model built only when that content is new.
    /// </summary>
    private async Task<(PredictionModel Model, string Sha256)> ModelAsync(CheckpointReference checkpoint, TrainingRecipe recipe, string? pinnedSha256, CancellationToken cancellationToken)
    {
        byte[] content = await checkpoints.LoadAsync(checkpoint, cancellationToken);
        string sha256 = Sha256(content);
        if (pinnedSha256 is not null && sha256 != pinnedSha256)
        {
            throw new DatasetException($"The checkpoint {checkpoint} changed under the prediction job: it now hashes to {sha256}, but the job was submitted with {pinnedSha256}.");
        }

        LoadedDataset dataset = await datasets.GetAsync(recipe.Data, cancellationToken);
        ModelSpec spec = await (models ?? ModelRegistry.BuiltIn).ResolveAsync(recipe.Model, dataset.Shape, cancellationToken);
        string key = $"{checkpoint}|{sha256}|{CheckpointMetadataKey(recipe)}";
        Lazy<PredictionModel> lazy = _models.GetOrAdd(key, _ => new Lazy<PredictionModel>(() => TensorThreads.Run(() => PredictionModel.Load(checkpoint, content, spec, dataset), _threads)));
        try
        {
            PredictionModel model = lazy.Value;
            if (_loadOrder.IsEmpty || !_loadOrder.Contains(key))
            {
                _loadOrder.Enqueue(key);
                // Models past the bound are dropped, not disposed: a caller may still be predicting with one, and
                // its finalizers free the native weights once nobody holds it.
                while (_loadOrder.Count > CachedModels && _loadOrder.TryDequeue(out string? oldest))
                {
                    _models.TryRemove(oldest, out _);
                }
            }

            return (model, sha256);
        }
        catch
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<PredictionModel>>(key, lazy));
            throw;
        }
    }

    // The same checkpoint read with another recipe (another data version) is another model's input pipeline.
    private static string CheckpointMetadataKey(TrainingRecipe recipe) => Checkpoints.CheckpointMetadata.HashOf(recipe);

    internal static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public void Dispose()
    {
        foreach (Lazy<PredictionModel> model in _models.Values)
        {
            if (model.IsValueCreated)
            {
                model.Value.Dispose();
            }
        }
    }
}
