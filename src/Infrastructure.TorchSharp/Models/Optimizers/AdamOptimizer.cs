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

    public OptimizerHelper Create(Module<Tensor, Tensor> model, OptimizerSection settings) =>
        optim.Adam(model.parameters(), lr: settings.LearningRate, beta1: settings.Beta1, beta2: settings.Beta2, weight_decay: settings.WeightDecay);
}
