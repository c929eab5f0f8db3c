using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// One split held as tensors, preprocessed: features float32 [N, ...shape]; targets int64 [N] (class indices) or
/// float32 [N, targets] (standardized regression targets). The tensors live outside any dispose scope and are
/// shared read-only by every chunk.
/// </summary>
public sealed class DataSplit(Tensor features, Tensor targets) : IDisposable
{
    public Tensor Features { get; } = features.DetachFromDisposeScope();
    public Tensor Targets { get; } = targets.DetachFromDisposeScope();
    public int Count => (int)Features.shape[0];

    public void Dispose()
    {
        Features.Dispose();
        Targets.Dispose();
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
    IReadOnlyList<string>? FeatureNames = null);

/// <summary>A dataset ready to train on: its splits, the shape a model must take, its task, and its pinned content digest.</summary>
public sealed class LoadedDataset(string name, DataShape shape, LearningTask task, DataSplit train, DataSplit validation, DataSplit test, Preprocessing preprocessing, string digest) : IDisposable
{
    public string Name { get; } = name;
    public DataShape Shape { get; } = shape;
    public LearningTask Task { get; } = task;
    public DataSplit Train { get; } = train;
    public DataSplit Validation { get; } = validation;
    public DataSplit Test { get; } = test;
    public Preprocessing Preprocessing { get; } = preprocessing;

    /// <summary>SHA-256 over every file the dataset was read from (names and contents); what <c>data.sha256</c> pins.</summary>
    public string Digest { get; } = digest;

    public DataSplit Split(EvaluationSplit split) => split == EvaluationSplit.Test ? Test : Validation;

    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
