using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary><c>adamw</c>: Adam with decoupled weight decay.</summary>
public sealed class AdamWOptimizer : ITrainingOptimizer
{
    public OptimizerKind Kind => OptimizerKind.AdamW;

    public OptimizerHelper Create(IReadOnlyList<Parameter> parameters, OptimizerSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (WeightDecayGroups.Of(parameters, settings) is not { } groups)
        {
            return optim.AdamW(parameters, lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
        }

        AdamW.ParamGroup Group(Parameter[] members, double decay) => new(members, lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: decay);
        return optim.AdamW([Group(groups.Decayed, settings.WeightDecay), Group(groups.Undecayed, 0)], lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
    }
}
