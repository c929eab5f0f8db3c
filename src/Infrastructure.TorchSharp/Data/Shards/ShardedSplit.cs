using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Shards;

/// <summary>One file of a sharded dataset: its path, the SHA-256 of its content when it was surveyed, and its example count.</summary>
public sealed record ShardInfo(string Path, string Sha256, int Count);

/// <summary>
/// A split streamed from shards through the process's <see cref="ShardCache"/>: training reads batches in the
/// <see cref="ShardedBatchOrder"/> and fetches the next shard while the current one is trained on; evaluation walks
/// the shards in order. Memory is bounded by the cache, whatever the split's size.
/// </summary>
public sealed class ShardedSplit(string cacheKey, IReadOnlyList<ShardInfo> shards, ShardCache cache, Func<ShardInfo, Task<ShardTensors>> load) : IExampleSplit
{
    private readonly int[] _sizes = shards.Select(shard => shard.Count).ToArray();

    public IReadOnlyList<ShardInfo> Shards { get; } = shards;

    public int Count { get; } = checked((int)shards.Sum(shard => (long)shard.Count));

    public int BatchesPerEpoch(int replica, int replicaCount, int batchSize) => ShardedBatchOrder.BatchesPerEpochFor(_sizes, replica, replicaCount, batchSize);

    public ITrainingBatches OpenTraining(int replica, int replicaCount, int batchSize, int seed) =>
        new StreamedBatches(this, new ShardedBatchOrder(_sizes, replica, replicaCount, batchSize, seed));

    public void ForEachBatch(int batchSize, Action<Tensor, Tensor> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        ShardCache.ShardLease? next = Shards.Count > 0 ? Lease(0) : null;
        try
        {
            for (int shard = 0; shard < Shards.Count; shard++)
            {
                using ShardCache.ShardLease current = next!;
                // Fetch the next shard while this one is evaluated.
                next = shard + 1 < Shards.Count ? Lease(shard + 1) : null;
                ShardTensors tensors = current.Tensors;
                for (int start = 0; start < tensors.Count; start += batchSize)
                {
                    using var batchScope = NewDisposeScope();
                    int length = Math.Min(batchSize, tensors.Count - start);
                    visit(tensors.Features.narrow(0, start, length), tensors.Targets.narrow(0, start, length));
                }
            }
        }
        finally
        {
            next?.Dispose();
        }
    }

    public void Dispose()
    {
        // The cache owns the shards' tensors.
    }

    private ShardCache.ShardLease Lease(int shard)
    {
        ShardInfo info = Shards[shard];
        return cache.Acquire($"{cacheKey}|{info.Path}", () => load(info));
    }

    /// <summary>One replica's batches; holds the shards the last batch came from and the one after them.</summary>
    private sealed class StreamedBatches(ShardedSplit split, ShardedBatchOrder order) : ITrainingBatches
    {
        private readonly Dictionary<int, ShardCache.ShardLease> _held = [];

        public (Tensor Features, Tensor Targets) Read(long microBatch)
        {
            (IReadOnlyList<ShardRows> parts, int next) = order.Batch(microBatch);
            var wanted = new HashSet<int>(parts.Select(part => part.Shard)) { next };
            foreach (int shard in wanted.Where(shard => !_held.ContainsKey(shard)))
            {
                _held[shard] = split.Lease(shard);
            }

            foreach (int shard in _held.Keys.Where(shard => !wanted.Contains(shard)).ToArray())
            {
                _held.Remove(shard, out ShardCache.ShardLease? lease);
                lease!.Dispose();
            }

            if (parts.Count == 1)
            {
                return Gather(parts[0]);
            }

            (Tensor Features, Tensor Targets)[] pieces = parts.Select(Gather).ToArray();
            return (cat(pieces.Select(piece => piece.Features).ToArray(), 0), cat(pieces.Select(piece => piece.Targets).ToArray(), 0));
        }

        public void Dispose()
        {
            foreach (ShardCache.ShardLease lease in _held.Values)
            {
                lease.Dispose();
            }

            _held.Clear();
        }

        private (Tensor Features, Tensor Targets) Gather(ShardRows part)
        {
            ShardTensors tensors = _held[part.Shard].Tensors;
            using Tensor rows = tensor(part.Rows);
            return (tensors.Features.index_select(0, rows), tensors.Targets.index_select(0, rows));
        }
    }
}
