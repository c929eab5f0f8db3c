using System.Collections.Concurrent;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Loads each dataset once per process and shares it between chunks: reading and decoding Fashion-MNIST takes about
/// a second, far too long to repeat for every chunk.
/// </summary>
public sealed class DatasetProvider(TorchSharpExecutorOptions options) : IDatasetCatalog, IDisposable
{
    /// <summary>Both built-in datasets hold 1×28×28 images of 10 classes.</summary>
    private static readonly DataShape GreyDigitsShape = new([1, ImageSplit.Height, ImageSplit.Width], ImageSplit.Classes);

    private readonly ConcurrentDictionary<DatasetKind, Lazy<ImageDataset>> _datasets = new();

    public ImageDataset Get(DatasetKind kind) =>
        _datasets.GetOrAdd(kind, k => new Lazy<ImageDataset>(() => Load(k), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    public (DataShape? Shape, IReadOnlyList<ValidationError> Errors) Describe(DataSection data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Enum.IsDefined(data.Dataset)
            ? (GreyDigitsShape, [])
            : (null, [new ValidationError("data.dataset", "must be one of " + SpecificationNames.Of<DatasetKind>())]);
    }

    /// <summary>The shape of a dataset's examples, for building its models.</summary>
    public DataShape ShapeOf(DataSection data) =>
        Describe(data).Shape ?? throw new ArgumentOutOfRangeException(nameof(data), data.Dataset, "Unknown dataset.");

    public void Dispose()
    {
        foreach (Lazy<ImageDataset> dataset in _datasets.Values)
        {
            if (dataset.IsValueCreated)
            {
                dataset.Value.Dispose();
            }
        }
    }

    private ImageDataset Load(DatasetKind kind) => kind switch
    {
        DatasetKind.FashionMnist => FashionMnistLoader.Load(options.ResolveDataDirectory()),
        DatasetKind.Synthetic => SyntheticDataset.Create(options.SyntheticTrainExamples, options.SyntheticTestExamples),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown dataset."),
    };
}
