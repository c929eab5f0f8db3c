using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;

/// <summary><c>sgd</c>: stochastic gradient descent with the section's momentum, optionally Nesterov's.</summary>
public sealed class SgdOptimizer : ITrainingOptimizer
{
    public OptimizerKind Kind => OptimizerKind.Sgd;

    public OptimizerHelper Create(Module<Tensor, Tensor> model, OptimizerSection settings) =>
        optim.SGD(model.parameters(), settings.LearningRate, momentum: settings.Momentum, weight_decay: settings.WeightDecay, nesterov: settings.Nesterov);
}
