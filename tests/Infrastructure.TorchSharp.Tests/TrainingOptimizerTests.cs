using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

public class TrainingOptimizerTests
{
    public static TheoryData<OptimizerKind> Names => [.. Enum.GetValues<OptimizerKind>()];

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryOptimizerName_HasAnImplementationThatBuildsIt(OptimizerKind name)
    {
        Assert.Equal(name, TrainingOptimizers.Find(name)?.Kind);
        using var model = nn.Linear(3, 2);
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(new OptimizerSection(name, LearningRate: 0.01), model);

        Assert.Equal(name.ToString(), optimizer.GetType().Name, ignoreCase: true);
    }

    /// <summary>
    /// With no gradient to follow, a step of decoupled weight decay only shrinks what decays: every parameter by default,
    /// only matrices with <c>weightDecayOn: matrices</c> (the bias of rank 1 keeps its value), for every optimizer.
    /// </summary>
    [Theory]
    [InlineData(OptimizerKind.AdamW, null, true)]
    [InlineData(OptimizerKind.AdamW, WeightDecayScope.All, true)]
    [InlineData(OptimizerKind.AdamW, WeightDecayScope.Matrices, false)]
    [InlineData(OptimizerKind.Adam, WeightDecayScope.Matrices, false)]
    [InlineData(OptimizerKind.Sgd, WeightDecayScope.Matrices, false)]
    public void WeightDecayOnMatrices_LeavesParametersOfRankOneUndecayed(OptimizerKind name, WeightDecayScope? scope, bool biasDecays)
    {
        using var model = nn.Linear(3, 2);
        using var scopeOfTensors = NewDisposeScope();
        Tensor weight = model.weight.detach().clone();
        Tensor bias = model.bias!.detach().clone();
        using OptimizerHelper optimizer = ModelFactory.CreateOptimizer(new OptimizerSection(name, LearningRate: 0.1, Momentum: 0, WeightDecay: 0.5, WeightDecayOn: scope), model);

        // A zero loss that still reaches every parameter: gradients of zero.
        model.call(ones(1, 3)).sum().mul(0).backward();
        optimizer.step();

        Assert.False(model.weight.equal(weight).all().item<bool>(), "the weights did not decay");
        Assert.Equal(biasDecays, !model.bias!.equal(bias).all().item<bool>());
    }
}
