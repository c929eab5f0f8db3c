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

    public OptimizerHelper Create(Module<Tensor, Tensor> model, OptimizerSection settings) =>
        optim.AdamW(model.parameters(), lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
}
