using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>
/// One split of a language model's data: a stream of token ids, read as windows of the context length T. A window's
/// features are T ids and its targets the T ids one position on (int64 [B, T] both).
/// <list type="bullet">
/// <item>Training draws each window's start at random, as nanoGPT does, but as a pure function of (seed, replica,
/// micro-batch): a chunk resumed in another process reads exactly the windows an uninterrupted run would.</item>
/// <item>Evaluation reads the whole split in consecutive windows, every token predicted once: the last window ends at
/// the stream's end and overlaps the one before, its overlap marked <see cref="IgnoredTarget"/> so no token counts
/// twice.</item>
/// <item><see cref="Count"/> is the number of whole windows the stream holds, what an epoch means here.</item>
/// </list>
/// </summary>
public sealed class TokenStreamSplit : IExampleSplit
{
    /// <summary>The target cross-entropy skips (PyTorch's default ignore index).</summary>
    public const long IgnoredTarget = -100;

    // Kept apart from the data-order and dropout streams seeded from the same numbers.
    private const long WindowStream = 0x7E47;

    private readonly Tensor _tokens;
    private readonly int _context;

    public TokenStreamSplit(long[] tokens, int context)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens.Length, context + 1);
        _tokens = tensor(tokens).DetachFromDisposeScope();
        _context = context;
        Tokens = tokens.Length;
    }

    /// <summary>Token ids in the split.</summary>
    public long Tokens { get; }

    public int Count => (int)Math.Min(int.MaxValue, (Tokens - 1) / _context);

    public int BatchesPerEpoch(int replica, int replicaCount, int batchSize) => ReplicaBatchOrder.BatchesPerEpochFor(Count, replica, replicaCount, batchSize);

    public ITrainingBatches OpenTraining(int replica, int replicaCount, int batchSize, int seed) => new RandomWindows(this, replica, batchSize, seed);

    public void ForEachBatch(int batchSize, Action<Tensor, Tensor> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        long predicted = Tokens - 1;
        long windows = (predicted + _context - 1) / _context;
        for (long first = 0; first < windows; first += batchSize)
        {
            using var batchScope = NewDisposeScope();
            long count = Math.Min(batchSize, windows - first);
            long[] starts = new long[count];
            for (long w = 0; w < count; w++)
            {
                // The last window ends at the stream's end; it starts earlier than its turn when the stream does not divide into windows.
                starts[w] = Math.Min((first + w) * _context, predicted - _context);
            }

            (Tensor features, Tensor targets) = Windows(starts);
            long last = first + count - 1;
            long overlap = (last * _context) - starts[count - 1];
            if (last == windows - 1 && overlap > 0)
            {
                targets[count - 1].narrow(0, 0, overlap).fill_(IgnoredTarget);
            }

            visit(features, targets);
        }
    }

    public void Dispose() => _tokens.Dispose();

    /// <summary>Features and targets of the windows starting at <paramref name="starts"/>, in the caller's dispose scope.</summary>
    private (Tensor Features, Tensor Targets) Windows(long[] starts)
    {
        using Tensor offsets = tensor(starts).unsqueeze(1);
        using Tensor positions = arange(_context, ScalarType.Int64).unsqueeze(0);
        using Tensor index = offsets.add(positions);
        using Tensor next = index.add(1);
        return (_tokens.index_select(0, index.reshape(-1)).reshape(starts.Length, _context), _tokens.index_select(0, next.reshape(-1)).reshape(starts.Length, _context));
    }

    private sealed class RandomWindows(TokenStreamSplit split, int replica, int batchSize, int seed) : ITrainingBatches
    {
        public (Tensor Features, Tensor Targets) Read(long microBatch)
        {
            DeterministicRandom random = DeterministicRandom.For(seed, replica, microBatch, WindowStream);
            // A window and its targets need T + 1 ids, so starts lie in [0, tokens - T - 1].
            ulong choices = (ulong)(split.Tokens - split._context);
            long[] starts = new long[batchSize];
            for (int b = 0; b < batchSize; b++)
            {
                starts[b] = (long)(random.NextUInt64() % choices);
            }

            return split.Windows(starts);
        }

        public void Dispose()
        {
        }
    }
}
