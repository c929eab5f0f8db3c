using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary>The optimizers this build implements, found by the name each one implements.</summary>
public static class TrainingOptimizers
{
    private static readonly Dictionary<OptimizerKind, ITrainingOptimizer> ByKind =
        KindImplementations.Discover<OptimizerKind, ITrainingOptimizer>(optimizer => optimizer.Kind);

    /// <summary>The optimizer of that name, or null when none implements it.</summary>
    public static ITrainingOptimizer? Find(OptimizerKind kind) => ByKind.GetValueOrDefault(kind);
}
