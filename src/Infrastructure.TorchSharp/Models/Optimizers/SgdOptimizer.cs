using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary><c>sgd</c>: stochastic gradient descent with the section's momentum, optionally Nesterov's.</summary>
public sealed class SgdOptimizer : ITrainingOptimizer
{
    public OptimizerKind Kind => OptimizerKind.Sgd;

    public OptimizerHelper Create(IReadOnlyList<Parameter> parameters, OptimizerSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (WeightDecayGroups.Of(parameters, settings) is not { } groups)
        {
            return optim.SGD(parameters, settings.LearningRate, momentum: settings.Momentum, weight_decay: settings.WeightDecay, nesterov: settings.Nesterov);
        }

        SGD.ParamGroup Group(Parameter[] members, double decay) => new(members, lr: settings.LearningRate, momentum: settings.Momentum, weight_decay: decay, nesterov: settings.Nesterov);
        return optim.SGD([Group(groups.Decayed, settings.WeightDecay), Group(groups.Undecayed, 0)], settings.LearningRate, momentum: settings.Momentum, weight_decay: settings.WeightDecay, nesterov: settings.Nesterov);
    }
}
