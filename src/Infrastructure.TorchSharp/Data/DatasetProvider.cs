using System.Collections.Concurrent;
using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Loads each dataset once per process and shares it between chunks: reading and decoding Fashion-MNIST takes about
/// a second, far too long to repeat for every chunk.
/// </summary>
public sealed class DatasetProvider(TorchSharpExecutorOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<DatasetKind, Lazy<ImageDataset>> _datasets = new();

    public ImageDataset Get(DatasetKind kind) =>
        _datasets.GetOrAdd(kind, k => new Lazy<ImageDataset>(() => Load(k), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

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
