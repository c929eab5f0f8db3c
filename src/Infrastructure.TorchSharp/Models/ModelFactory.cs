using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>Builds the models a recipe names, and the optimizer that trains them.</summary>
public static class ModelFactory
{
    private const int Inputs = ImageSplit.Height * ImageSplit.Width;

    // Building a module draws its initial weights from libtorch's process-wide generator. Every build takes this
    // lock, so that seeding and drawing are never interleaved with another thread's build (two activities at once).
    private static readonly Lock GeneratorLock = new();

    /// <summary>Builds the model with its initial weights drawn from <paramref name="seed"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(TrainingRecipe recipe, long seed)
    {
        lock (GeneratorLock)
        {
            random.manual_seed(seed);
            return Build(recipe);
        }
    }

    /// <summary>Builds the model to load a checkpoint into (its initial weights are overwritten).</summary>
    public static nn.Module<Tensor, Tensor> Create(TrainingRecipe recipe)
    {
        lock (GeneratorLock)
        {
            return Build(recipe);
        }
    }

    private static nn.Module<Tensor, Tensor> Build(TrainingRecipe recipe) => recipe.Model switch
    {
        ModelArchitecture.Mlp => Sequential(
            ("flatten", Flatten()),
            ("fc1", Linear(Inputs, recipe.HiddenUnits)),
            ("relu1", ReLU()),
            ("fc2", Linear(recipe.HiddenUnits, ImageSplit.Classes))),
        ModelArchitecture.Cnn => Sequential(
            ("conv1", Conv2d(1, 32, kernel_size: 3, padding: 1)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel_size: 2)),
            ("conv2", Conv2d(32, 64, kernel_size: 3, padding: 1)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernel_size: 2)),
            ("flatten", Flatten()),
            ("fc1", Linear(64 * 7 * 7, 128)),
            ("relu3", ReLU()),
            ("fc2", Linear(128, ImageSplit.Classes))),
        _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe.Model, "Unknown model architecture."),
    };

    public static OptimizerHelper CreateOptimizer(TrainingRecipe recipe, nn.Module<Tensor, Tensor> model) => recipe.Optimizer switch
    {
        OptimizerKind.Adam => optim.Adam(model.parameters(), lr: recipe.LearningRate, beta1: recipe.Beta1, beta2: recipe.Beta2, weight_decay: recipe.WeightDecay),
        OptimizerKind.AdamW => optim.AdamW(model.parameters(), lr: recipe.LearningRate, beta1: recipe.Beta1, beta2: recipe.Beta2, weight_decay: recipe.WeightDecay),
        OptimizerKind.Sgd => optim.SGD(model.parameters(), recipe.LearningRate, momentum: recipe.Momentum, weight_decay: recipe.WeightDecay, nesterov: recipe.Nesterov),
        _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe.Optimizer, "Unknown optimizer."),
    };

    /// <summary>A short text that identifies the architecture; stored in checkpoints to refuse loading into another.</summary>
    public static string Describe(TrainingRecipe recipe) => recipe.Model switch
    {
        ModelArchitecture.Mlp => $"mlp:784-{recipe.HiddenUnits}-10;{recipe.Optimizer}",
        _ => $"cnn:c32-c64-f128-10;{recipe.Optimizer}",
    };
}
