namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// SplitMix64: tiny, fast and defined by its algorithm alone, so shuffles and synthetic data are identical on every
/// machine and .NET version (System.Random makes no such promise). Used for data order, never for weights.
/// </summary>
public sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    public static DeterministicRandom For(params long[] parts)
    {
        ulong seed = 0x9E3779B97F4A7C15UL;
        foreach (long part in parts)
        {
            seed = Mix(seed ^ (ulong)part);
        }

        return new DeterministicRandom(seed);
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive) => (int)(NextUInt64() % (ulong)maxExclusive);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public void Shuffle(Span<long> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
