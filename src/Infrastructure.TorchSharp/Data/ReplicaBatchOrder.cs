namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// The data cursor of one replica, as a pure function of its step count: replica k of K owns the examples whose
/// index is k mod K; each epoch over that share is shuffled by a generator seeded with (seed, replica, epoch). So a
/// chunk that resumes at step s sees exactly the batches an uninterrupted run would have seen, with no RNG state
/// to carry in the checkpoint.
/// </summary>
public sealed class ReplicaBatchOrder
{
    private readonly long[] _share;
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly int _replica;
    private long[]? _order;
    private long _orderEpoch = -1;

    public ReplicaBatchOrder(int examples, int replica, int replicaCount, int batchSize, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicaCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(replica);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(replica, replicaCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _share = Enumerable.Range(0, examples).Where(i => i % replicaCount == replica).Select(i => (long)i).ToArray();
        if (_share.Length == 0)
        {
            throw new ArgumentException($"Replica {replica} of {replicaCount} has no examples out of {examples}.");
        }

        _batchSize = Math.Min(batchSize, _share.Length);
        _seed = seed;
        _replica = replica;
        BatchesPerEpoch = BatchesPerEpochFor(examples, replica, replicaCount, batchSize);
    }

    public int BatchesPerEpoch { get; }

    /// <summary>Batches in one epoch over replica <paramref name="replica"/>'s share, without building it.</summary>
    public static int BatchesPerEpochFor(int examples, int replica, int replicaCount, int batchSize)
    {
        int share = (examples - replica + replicaCount - 1) / replicaCount;
        int batch = Math.Min(batchSize, Math.Max(share, 1));
        return Math.Max(1, (share + batch - 1) / batch);
    }

    /// <summary>The example indices of the batch this replica trains on at its local (micro-)batch index <paramref name="step"/>.</summary>
    public long[] IndicesFor(long step)
    {
        long epoch = step / BatchesPerEpoch;
        int batch = (int)(step % BatchesPerEpoch);
        if (_orderEpoch != epoch)
        {
            _order = (long[])_share.Clone();
            DeterministicRandom.For(_seed, _replica, epoch).Shuffle(_order);
            _orderEpoch = epoch;
        }

        int start = batch * _batchSize;
        int length = Math.Min(_batchSize, _share.Length - start);
        return _order.AsSpan(start, length).ToArray();
    }
}
