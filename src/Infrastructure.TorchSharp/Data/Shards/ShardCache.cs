using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Shards;

/// <summary>
/// The shards a worker process holds decoded, shared by every chunk and evaluation running in it, bounded by count:
/// when more than <see cref="Capacity"/> are held, the least recently used one that nobody is reading is dropped
/// (its tensors freed at once, not left to a collector). Readers lease what they read; a leased shard is never
/// dropped, so concurrent chunks may briefly hold more than the capacity (at most three leases each: the shards a
/// batch spans and the one fetched ahead).
/// </summary>
public sealed class ShardCache(int capacity) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;

    public int Capacity { get; } = Math.Max(1, capacity);

    /// <summary>Shards held now (for tests and logs).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Leases shard <paramref name="key"/>, starting <paramref name="load"/> unless it is held or loading; dispose the lease when done reading.</summary>
    public ShardLease Acquire(string key, Func<Task<ShardTensors>> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out Entry? entry) || entry.Load.IsFaulted || entry.Load.IsCanceled)
            {
                entry = new Entry(Task.Run(load));
                _entries[key] = entry;
            }

            entry.Leases++;
            entry.LastUse = ++_clock;
            Trim();
            return new ShardLease(this, key, entry);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (Entry entry in _entries.Values)
            {
                Drop(entry);
            }

            _entries.Clear();
        }
    }

    private void Release(string key, Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (entry.Load.IsFaulted && entry.Leases == 0 && _entries.TryGetValue(key, out Entry? held) && held == entry)
            {
                // A failed load is not kept: the next reader tries again (or fails with the same reason).
                _entries.Remove(key);
            }

            Trim();
        }
    }

    private void Trim()
    {
        while (_entries.Count > Capacity)
        {
            KeyValuePair<string, Entry>? oldest = null;
            foreach (KeyValuePair<string, Entry> candidate in _entries)
            {
                if (candidate.Value.Leases == 0 && candidate.Value.Load.IsCompleted && (oldest is null || candidate.Value.LastUse < oldest.Value.Value.LastUse))
                {
                    oldest = candidate;
                }
            }

            if (oldest is not { } drop)
            {
                return;
            }

            _entries.Remove(drop.Key);
            Drop(drop.Value);
        }
    }

    private static void Drop(Entry entry)
    {
        if (entry.Load.IsCompletedSuccessfully)
        {
            entry.Load.Result.Dispose();
        }
    }

    internal sealed class Entry(Task<ShardTensors> load)
    {
        public Task<ShardTensors> Load { get; } = load;
        public int Leases { get; set; }
        public long LastUse { get; set; }
    }

    /// <summary>A reader's hold on one shard.</summary>
    public sealed class ShardLease : IDisposable
    {
        private readonly ShardCache _cache;
        private readonly string _key;
        private readonly Entry _entry;
        private bool _released;

        internal ShardLease(ShardCache cache, string key, Entry entry) => (_cache, _key, _entry) = (cache, key, entry);

        /// <summary>
        /// The shard's tensors, waiting for its load if it is still running. Training is synchronous (dispose scopes are
        /// thread-static), so this blocks; a shard is normally fetched one ahead and is ready by the time it is read.
        /// </summary>
        public ShardTensors Tensors => _entry.Load.GetAwaiter().GetResult();

        public void Dispose()
        {
            if (!_released)
            {
                _released = true;
                _cache.Release(_key, _entry);
            }
        }
    }
}

/// <summary>One decoded, preprocessed shard: features and targets as the split's batches take them, outside any dispose scope.</summary>
public sealed class ShardTensors(Tensor features, Tensor targets) : IDisposable
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
