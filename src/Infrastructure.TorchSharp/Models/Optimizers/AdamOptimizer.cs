using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary><c>adam</c>: Adam with the section's betas and (L2) weight decay.</summary>
public sealed class AdamOptimizer : ITrainingOptimizer
{
    public OptimizerKind Kind => OptimizerKind.Adam;

    public OptimizerHelper Create(IReadOnlyList<Parameter> parameters, OptimizerSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (WeightDecayGroups.Of(parameters, settings) is not { } groups)
        {
            return optim.Adam(parameters, lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
        }

        Adam.ParamGroup Group(Parameter[] members, double decay) => new(members, lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: decay);
        return optim.Adam([Group(groups.Decayed, settings.WeightDecay), Group(groups.Undecayed, 0)], lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
    }
}
