using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// One split (train, validation or test) as the executor reads it, whether held whole in memory
/// (<see cref="DataSplit"/>) or streamed from shards (<see cref="Shards.ShardedSplit"/>). Batches are features
/// float32 [B, ...shape] and targets int64 [B] (class indices) or float32 [B, targets] (standardized regression
/// targets), created in the caller's dispose scope.
/// </summary>
public interface IExampleSplit : IDisposable
{
    int Count { get; }

    /// <summary>Batches in one epoch of replica <paramref name="replica"/> of <paramref name="replicaCount"/>.</summary>
    int BatchesPerEpoch(int replica, int replicaCount, int batchSize);

    /// <summary>One replica's training batches: a pure function of the micro-batch index, so a resumed chunk sees what an uninterrupted run would.</summary>
    ITrainingBatches OpenTraining(int replica, int replicaCount, int batchSize, int seed);

    /// <summary>Calls <paramref name="visit"/> with every example once, in order, in batches of at most <paramref name="batchSize"/>; each batch lives only for its call.</summary>
    void ForEachBatch(int batchSize, Action<Tensor, Tensor> visit);
}

/// <summary>One replica's batches, read in the caller's dispose scope.</summary>
public interface ITrainingBatches : IDisposable
{
    (Tensor Features, Tensor Targets) Read(long microBatch);
}

/// <summary>
/// One split held whole as tensors, preprocessed. The tensors live outside any dispose scope and are shared
/// read-only by every chunk.
/// </summary>
public sealed class DataSplit(Tensor features, Tensor targets) : IExampleSplit
{
    public Tensor Features { get; } = features.DetachFromDisposeScope();
    public Tensor Targets { get; } = targets.DetachFromDisposeScope();
    public int Count => (int)Features.shape[0];

    public int BatchesPerEpoch(int replica, int replicaCount, int batchSize) => ReplicaBatchOrder.BatchesPerEpochFor(Count, replica, replicaCount, batchSize);

    public ITrainingBatches OpenTraining(int replica, int replicaCount, int batchSize, int seed) =>
        new InMemoryBatches(this, new ReplicaBatchOrder(Count, replica, replicaCount, batchSize, seed));

    public void ForEachBatch(int batchSize, Action<Tensor, Tensor> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        for (int start = 0; start < Count; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            int length = Math.Min(batchSize, Count - start);
            visit(Features.narrow(0, start, length), Targets.narrow(0, start, length));
        }
    }

    public void Dispose()
    {
        Features.Dispose();
        Targets.Dispose();
    }

    private sealed class InMemoryBatches(DataSplit split, ReplicaBatchOrder order) : ITrainingBatches
    {
        public (Tensor Features, Tensor Targets) Read(long microBatch)
        {
            using Tensor indices = tensor(order.IndicesFor(microBatch));
            return (split.Features.index_select(0, indices), split.Targets.index_select(0, indices));
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// What was computed from the training split and applies to every split and to exported models: the features'
/// standardization (per feature for tables, per channel for images, over everything otherwise), the regression
/// targets' standardization, and the names of classes and features.
/// </summary>
public sealed record Preprocessing(
    string Axis,
    float[] FeatureMean,
    float[] FeatureStd,
    double[]? TargetMean = null,
    double[]? TargetStd = null,
    IReadOnlyList<string>? ClassNames = null,
    IReadOnlyList<string>? FeatureNames = null)
{
    /// <summary>For token data, how text became ids; null for any other data.</summary>
    public TokenText? Text { get; init; }
}

/// <summary>
/// How a language model's text became token ids: the tokenizer (null for token arrays given as ids), the vocabulary
/// built from the training text where the tokenizer builds one, the context length, and how many tokens of the
/// validation and test text the training vocabulary lacked (they were read as the unknown token).
/// </summary>
public sealed record TokenText(
    Domain.Kinds.TokenizerKind? Tokenizer,
    IReadOnlyList<string>? Vocabulary,
    int VocabularySize,
    int ContextLength,
    long UnknownInValidation,
    long UnknownInTest)
{
    /// <summary>The id that pads a table's texts to the context (the model's last id), null for a language model's stream, which is never padded.</summary>
    public int? PaddingId { get; init; }
}

/// <summary>A dataset ready to train on: its splits, the shape a model must take, its task, and its pinned content digest.</summary>
public sealed class LoadedDataset(string name, DataShape shape, LearningTask task, IExampleSplit train, IExampleSplit validation, IExampleSplit test, Preprocessing preprocessing, string digest) : IDisposable
{
    public string Name { get; } = name;
    public DataShape Shape { get; } = shape;
    public LearningTask Task { get; } = task;
    public IExampleSplit Train { get; } = train;
    public IExampleSplit Validation { get; } = validation;
    public IExampleSplit Test { get; } = test;
    public Preprocessing Preprocessing { get; } = preprocessing;

    /// <summary>SHA-256 over every file the dataset was read from (names and contents); what <c>data.sha256</c> pins.</summary>
    public string Digest { get; } = digest;

    /// <summary>How a table's columns became features (null for arrays and images): rows to predict on are encoded by it.</summary>
    public IRowEncoding? Encoding { get; init; }

    public IExampleSplit Split(EvaluationSplit split) => split == EvaluationSplit.Test ? Test : Validation;

    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
