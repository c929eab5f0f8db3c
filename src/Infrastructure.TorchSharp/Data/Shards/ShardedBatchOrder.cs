namespace DurableTrainer.Infrastructure.TorchSharp.Data.Shards;

/// <summary>
/// The data cursor of one replica over a sharded split, as a pure function of its micro-batch index (no state to
/// carry in a checkpoint, so a chunk resumed in another process sees exactly the batches an uninterrupted run would):
/// <list type="bullet">
/// <item>Replica k of K owns the examples whose index over the whole split (shards in name order) is k mod K.</item>
/// <item>Epoch e visits the shards in an order shuffled by (seed, e), the same for every replica so that replicas
/// in one process share the shards they hold; within a shard, the replica's examples are shuffled by (seed, replica,
/// e, shard).</item>
/// <item>Batches are consecutive slices of that stream and may span two shards; an epoch's last batch may be short.</item>
/// </list>
/// Shuffling shards and within them, rather than across the whole split, is what lets a worker hold only a few
/// shards; it is the usual trade of streaming loaders, and assumes shards are not sorted by label.
/// </summary>
public sealed class ShardedBatchOrder
{
    private const long ShardOrderStream = -1;
    private const int RowCacheCapacity = 4;

    private readonly long[] _offsets;
    private readonly int[] _sizes;
    private readonly int[] _shares;
    private readonly int _replica;
    private readonly int _replicaCount;
    private readonly int _seed;
    private readonly int _batchSize;
    private readonly long _perEpoch;
    private readonly Dictionary<(long Epoch, int Shard), long[]> _rows = [];
    private long _orderEpoch = -1;
    private int[] _order = [];
    private long[] _cumulative = [];

    // Where in the epoch's shard order the last batch RowsFor returned ended.
    private int _lastPosition;

    public ShardedBatchOrder(IReadOnlyList<int> shardSizes, int replica, int replicaCount, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(shardSizes);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicaCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(replica);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(replica, replicaCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _sizes = [.. shardSizes];
        _offsets = new long[_sizes.Length];
        _shares = new int[_sizes.Length];
        long offset = 0;
        for (int shard = 0; shard < _sizes.Length; shard++)
        {
            _offsets[shard] = offset;
            _shares[shard] = ShareOf(offset, _sizes[shard], replica, replicaCount);
            offset += _sizes[shard];
        }

        _perEpoch = _shares.Sum(share => (long)share);
        if (_perEpoch == 0)
        {
            throw new ArgumentException($"Replica {replica} of {replicaCount} has no examples out of {offset}.");
        }

        _replica = replica;
        _replicaCount = replicaCount;
        _seed = seed;
        _batchSize = (int)Math.Min(batchSize, _perEpoch);
        BatchesPerEpoch = (int)((_perEpoch + _batchSize - 1) / _batchSize);
    }

    public int BatchesPerEpoch { get; }

    /// <summary>Batches in one epoch of a replica, without building its order.</summary>
    public static int BatchesPerEpochFor(IReadOnlyList<int> shardSizes, int replica, int replicaCount, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(shardSizes);
        long offset = 0;
        long share = 0;
        foreach (int size in shardSizes)
        {
            share += ShareOf(offset, size, replica, replicaCount);
            offset += size;
        }

        long batch = Math.Min(batchSize, Math.Max(share, 1));
        return (int)Math.Max(1, (share + batch - 1) / batch);
    }

    /// <summary>The shards and rows within them that micro-batch <paramref name="microBatch"/> is made of, in order.</summary>
    public IReadOnlyList<ShardRows> RowsFor(long microBatch)
    {
        long epoch = microBatch / BatchesPerEpoch;
        long start = (microBatch % BatchesPerEpoch) * _batchSize;
        long end = Math.Min(start + _batchSize, _perEpoch);
        OrderFor(epoch);
        int position = Array.BinarySearch(_cumulative, start);
        position = position >= 0 ? position : ~position - 1;
        var parts = new List<ShardRows>(2);
        for (long at = start; at < end; position++)
        {
            int shard = _order[position];
            long shardStart = _cumulative[position];
            long from = at - shardStart;
            long take = Math.Min(_shares[shard] - from, end - at);
            if (take > 0)
            {
                parts.Add(new ShardRows(shard, RowsOf(epoch, shard).AsSpan((int)from, (int)take).ToArray()));
                at += take;
                _lastPosition = position;
            }
        }

        return parts;
    }

    /// <summary>The shard the stream reads after micro-batch <paramref name="microBatch"/>'s last one (the next epoch's first at the end): what to fetch ahead.</summary>
    public int NextShardAfter(long microBatch) => Batch(microBatch).NextShard;

    /// <summary>Micro-batch <paramref name="microBatch"/>'s rows, and the shard to fetch ahead of it.</summary>
    public (IReadOnlyList<ShardRows> Rows, int NextShard) Batch(long microBatch)
    {
        IReadOnlyList<ShardRows> rows = RowsFor(microBatch);
        long epoch = microBatch / BatchesPerEpoch;
        for (int position = _lastPosition + 1; position < _order.Length; position++)
        {
            if (_shares[_order[position]] > 0)
            {
                return (rows, _order[position]);
            }
        }

        OrderFor(epoch + 1);
        return (rows, _order.First(shard => _shares[shard] > 0));
    }

    private static int ShareOf(long offset, int size, int replica, int replicaCount)
    {
        long first = (((replica - offset) % replicaCount) + replicaCount) % replicaCount;
        return first >= size ? 0 : (int)(((size - first - 1) / replicaCount) + 1);
    }

    private void OrderFor(long epoch)
    {
        if (_orderEpoch == epoch)
        {
            return;
        }

        long[] order = Enumerable.Range(0, _sizes.Length).Select(shard => (long)shard).ToArray();
        DeterministicRandom.For(_seed, ShardOrderStream, epoch).Shuffle(order);
        _order = Array.ConvertAll(order, shard => (int)shard);
        _cumulative = new long[_order.Length];
        long total = 0;
        for (int position = 0; position < _order.Length; position++)
        {
            _cumulative[position] = total;
            total += _shares[_order[position]];
        }

        _orderEpoch = epoch;
    }

    private long[] RowsOf(long epoch, int shard)
    {
        if (_rows.TryGetValue((epoch, shard), out long[]? rows))
        {
            return rows;
        }

        if (_rows.Count >= RowCacheCapacity)
        {
            _rows.Clear();
        }

        long first = (((_replica - _offsets[shard]) % _replicaCount) + _replicaCount) % _replicaCount;
        rows = new long[_shares[shard]];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = first + ((long)i * _replicaCount);
        }

        DeterministicRandom.For(_seed, _replica, epoch, shard).Shuffle(rows);
        _rows[(epoch, shard)] = rows;
        return rows;
    }
}

/// <summary>Rows of one shard (indices within it) that are part of a batch.</summary>
public sealed record ShardRows(int Shard, long[] Rows);
