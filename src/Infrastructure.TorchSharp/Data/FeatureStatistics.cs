using TorchSharp;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// The mean and spread standardization divides by: per feature for vectors, per channel for [C, H, W] images, over
/// everything for other shapes. Parts (shards) can be added one at a time, merged with Chan's pairwise update, so a
/// dataset streamed shard by shard gets the statistics it would get whole without ever being whole in memory.
/// </summary>
internal sealed class FeatureStatistics : IDisposable
{
    private long _count;
    private Tensor? _mean;
    private Tensor? _variance;
    private string _axis = "all";
    private long[] _keep = [];

    // Examples are converted to float64 a slice at a time: a slice of about 8 MB stays in the caches, where a whole
    // dataset in float64 (340 MB for Fashion-MNIST) would be written out, faulted in and read twice.
    private const long SliceElements = 1L << 20;

    /// <summary>How many examples of shape [N, ...] make one slice of about a million values (at least one).</summary>
    internal static long RowsPerSlice(Tensor examples) =>
        Math.Max(1, SliceElements / (examples.shape[0] == 0 ? 1 : Math.Max(1, examples.numel() / examples.shape[0])));

    /// <summary>
    /// Adds examples of shape [N, ...]: float32 features; with <paramref name="rows"/> (int64 indices into dim 0),
    /// only those examples, without gathering them into a copy first.
    /// </summary>
    public void Add(Tensor features, Tensor? rows = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        long count = rows?.shape[0] ?? features.shape[0];
        long sliceRows = RowsPerSlice(features);
        for (long start = 0; start < count; start += sliceRows)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(sliceRows, count - start);
            Tensor slice = rows is null ? features.narrow(0, start, length) : features.index_select(0, rows.narrow(0, start, length));
            AddPart(slice);
        }
    }

    private void AddPart(Tensor features)
    {
        int rank = (int)features.dim() - 1;
        (string axis, long[] dims, long[] keep) = rank switch
        {
            1 => ("feature", new long[] { 0 }, new[] { features.shape[1] }),
            3 => ("channel", new long[] { 0, 2, 3 }, new[] { features.shape[1], 1L, 1L }),
            _ => ("all", Enumerable.Range(0, rank + 1).Select(d => (long)d).ToArray(), Enumerable.Repeat(1L, rank).ToArray()),
        };
        long perSlot = features.numel() / keep.Aggregate(1L, (product, size) => product * size);
        // Two passes over the slice (mean, then the mean square about it) rather than var_mean: libtorch's var_mean
        // runs a scalar Welford update per element, three to four times slower here than two vectorized reductions,
        // and in float64 both are exact far below the float32 the statistics are kept in.
        using Tensor doubles = features.to_type(ScalarType.Float64);
        using Tensor keptMean = doubles.mean(dims, keepdim: true);
        using Tensor centered = doubles - keptMean;
        Tensor variance = centered.mul_(centered).mean(dims).DetachFromDisposeScope();
        Tensor mean = keptMean.reshape(variance.shape).DetachFromDisposeScope();
        if (_mean is null || _variance is null)
        {
            (_mean, _variance, _count, _axis, _keep) = (mean, variance, perSlot, axis, keep);
            return;
        }

        using (mean)
        using (variance)
        using (var scope = NewDisposeScope())
        {
            double total = _count + perSlot;
            Tensor delta = mean - _mean;
            Tensor merged = ((_variance * _count) + (variance * perSlot) + (delta * delta * (_count * (double)perSlot / total))) / total;
            Tensor mergedMean = _mean + (delta * (perSlot / total));
            _mean.Dispose();
            _variance.Dispose();
            _mean = mergedMean.DetachFromDisposeScope();
            _variance = merged.DetachFromDisposeScope();
            _count += perSlot;
        }
    }

    /// <summary>The axis name, and float32 mean and standard deviation shaped to broadcast over one example.</summary>
    public (string Axis, Tensor Mean, Tensor Std) Result()
    {
        if (_mean is null || _variance is null)
        {
            throw new InvalidOperationException("No examples were added.");
        }

        using Tensor std = _variance.sqrt();
        // A constant feature has no spread: leave it unscaled rather than divide by zero.
        using Tensor safeStd = torch.where(std.gt(1e-12), std, torch.ones_like(std));
        return (_axis, _mean.to_type(ScalarType.Float32).reshape(_keep), safeStd.to_type(ScalarType.Float32).reshape(_keep));
    }

    public void Dispose()
    {
        _mean?.Dispose();
        _variance?.Dispose();
    }
}
