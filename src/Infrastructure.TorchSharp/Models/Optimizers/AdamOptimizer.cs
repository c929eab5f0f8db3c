using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary><c>adam</c>: Adam with the section's betas and (L2) weight decay.</summary>
public sealed class AdamOptimizer : ITrainingOptimizer
{
    public OptimizerKind Kind => OptimizerKind.Adam;

    public OptimizerHelper Create(Module<Tensor, Tensor> model, OptimizerSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (WeightDecayGroups.Of(model, settings) is not { } groups)
        {
            return optim.Adam(model.parameters(), lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
        }

        Adam.ParamGroup Group(Parameter[] parameters, double decay) => new(parameters, lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: decay);
        return optim.Adam([Group(groups.Decayed, settings.WeightDecay), Group(groups.Undecayed, 0)], lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
    }
}
