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
}
