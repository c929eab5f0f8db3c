using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary><c>adamw</c>: Adam with decoupled weight decay.</summary>
public sealed class AdamWOptimizer : ITrainingOptimizer
{
    public OptimizerKind Kind => OptimizerKind.AdamW;

    public OptimizerHelper Create(Module<Tensor, Tensor> model, OptimizerSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (WeightDecayGroups.Of(model, settings) is not { } groups)
        {
            return optim.AdamW(model.parameters(), lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
        }

        AdamW.ParamGroup Group(Parameter[] parameters, double decay) => new(parameters, lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: decay);
        return optim.AdamW([Group(groups.Decayed, settings.WeightDecay), Group(groups.Undecayed, 0)], lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
    }
}
