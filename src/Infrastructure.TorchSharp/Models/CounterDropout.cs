using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// The random numbers of one training step. libtorch's default generator is process-wide and shared by concurrent
/// activities, so dropout draws from this private generator instead, re-seeded before every micro-batch from
/// (run seed, replica, micro-batch index). The RNG state is therefore a pure function of the data cursor that the
/// checkpoint already holds: a chunk resumed in another process draws exactly the masks an uninterrupted run would.
/// </summary>
public sealed class StepRandomness : IDisposable
{
    private readonly Generator _generator = new(0, CPU);

    public Generator Generator => _generator;

    /// <summary>The seed of the current micro-batch, for code that can only draw from the default generator (TorchScript).</summary>
    public long Seed { get; private set; }

    // The extra constant keeps this stream apart from the data-order stream seeded from the same numbers.
    private const long DropoutStream = 0xD20F;

    public void SeedFor(long seed, int replica, long microBatch)
    {
        Seed = (long)(Data.DeterministicRandom.For(seed, replica, microBatch, DropoutStream).NextUInt64() >> 1);
        _generator.manual_seed(Seed);
    }

    public void Dispose() => _generator.Dispose();
}

/// <summary>Inverted dropout whose mask comes from a <see cref="StepRandomness"/>; the identity in eval mode.</summary>
public sealed class CounterDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _probability;
    private readonly StepRandomness _randomness;

    public CounterDropout(double probability, StepRandomness randomness)
        : base(nameof(CounterDropout))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probability);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(probability, 1);
        _probability = probability;
        _randomness = randomness;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (!training || _probability == 0)
        {
            return input.alias();
        }

        using Tensor keep = empty_like(input).bernoulli_(1 - _probability, _randomness.Generator);
        return input * keep / (1 - _probability);
    }
}
