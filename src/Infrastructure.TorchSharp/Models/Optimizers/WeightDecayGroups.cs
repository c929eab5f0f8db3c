using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary>
/// <c>optimizer.weightDecayOn: matrices</c>: the trainable parameters of rank 2 and more decay, the rest (biases, norms'
/// scales and shifts, positions of rank 1) do not. Two parameter groups, in that order; an optimizer with one group
/// when every parameter decays alike, as before the option existed, so those runs' optimizer state is unchanged.
/// </summary>
public static class WeightDecayGroups
{
    /// <summary>The decayed and undecayed parameters, or null when every parameter decays alike.</summary>
    public static (Parameter[] Decayed, Parameter[] Undecayed)? Of(IReadOnlyList<Parameter> parameters, OptimizerSection settings)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.WeightDecayOn != WeightDecayScope.Matrices || settings.WeightDecay == 0)
        {
            return null;
        }

        return ([.. parameters.Where(parameter => parameter.dim() >= 2)], [.. parameters.Where(parameter => parameter.dim() < 2)]);
    }
}
