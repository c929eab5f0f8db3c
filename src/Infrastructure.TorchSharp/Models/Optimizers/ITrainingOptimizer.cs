using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary>
/// One optimizer algorithm: builds the TorchSharp optimizer over a model's parameters from the optimizer section. A
/// new optimizer is one file implementing this and one member of <see cref="OptimizerKind"/> (its name in requests);
/// <see cref="TrainingOptimizers"/> finds it, and a test fails while a member has none.
/// </summary>
public interface ITrainingOptimizer
{
    OptimizerKind Kind { get; }

    /// <summary>The optimizer over <paramref name="parameters"/>: the model's trainable ones, in the model's order.</summary>
    OptimizerHelper Create(IReadOnlyList<Parameter> parameters, OptimizerSection settings);
}
