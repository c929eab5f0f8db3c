using DurableTrainer.Infrastructure.TorchSharp.Data;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>The tensors of a split the tests know is held whole (every dataset that is not sharded).</summary>
internal static class InMemorySplits
{
    public static DataSplit Held(this IExampleSplit split) =>
        split as DataSplit ?? throw new InvalidOperationException($"The split is {split.GetType().Name}, not held in memory.");
}
