using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Configuration;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// The model registry: builds a model by name from its <see cref="ModelSpec"/>, and the optimizer that trains it.
/// Layer names are part of the checkpoint and export format (PyTorch sees the same state-dict keys), so they are
/// stable: fc1..fcN for linear layers, conv1/conv2, bn1..bnN for batch norms.
/// </summary>
public static class ModelFactory
{
    private static readonly IReadOnlyDictionary<string, Func<ModelSpec, StepRandomness?, Module<Tensor, Tensor>>> Registry =
        new Dictionary<string, Func<ModelSpec, StepRandomness?, Module<Tensor, Tensor>>>(StringComparer.Ordinal)
        {
            ["mlp"] = BuildMlp,
            ["cnn"] = BuildCnn,
        };

    // Building a module draws its initial weights from libtorch's process-wide generator. Every build takes this
    // lock, so that seeding and drawing are never interleaved with another thread's build (two activities at once).
    private static readonly Lock GeneratorLock = new();

    public static IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)Registry.Keys;

    /// <summary>Builds the model with its initial weights drawn from <paramref name="seed"/>.</summary>
    public static Module<Tensor, Tensor> Create(ModelSpec spec, long seed, StepRandomness? randomness = null)
    {
        lock (GeneratorLock)
        {
            random.manual_seed(seed);
            return Build(spec, randomness);
        }
    }

    /// <summary>Builds the model to load a checkpoint into (its initial weights are overwritten).</summary>
    public static Module<Tensor, Tensor> Create(ModelSpec spec, StepRandomness? randomness = null)
    {
        lock (GeneratorLock)
        {
            return Build(spec, randomness);
        }
    }

    public static Module<Tensor, Tensor> Create(TrainingRecipe recipe, long seed) => Create(ModelSpec.From(recipe), seed);

    public static Module<Tensor, Tensor> Create(TrainingRecipe recipe) => Create(ModelSpec.From(recipe));

    private static Module<Tensor, Tensor> Build(ModelSpec spec, StepRandomness? randomness)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!Registry.TryGetValue(spec.Name, out var build))
        {
            throw new ArgumentException($"Unknown model '{spec.Name}'; the registry has {string.Join(", ", Registry.Keys)}.", nameof(spec));
        }

        return build(spec, randomness);
    }

    private static Module<Tensor, Tensor> BuildMlp(ModelSpec spec, StepRandomness? randomness)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("flatten", Flatten()) };
        int inputs = ModelSpec.InputChannels * ModelSpec.InputHeight * ModelSpec.InputWidth;
        for (int layer = 1; layer <= spec.HiddenLayers; layer++)
        {
            layers.Add(($"fc{layer}", Linear(inputs, spec.HiddenUnits)));
            if (spec.BatchNorm)
            {
                layers.Add(($"bn{layer}", BatchNorm1d(spec.HiddenUnits)));
            }

            layers.Add(($"relu{layer}", ReLU()));
            AddDropout(layers, spec, randomness, layer);
            inputs = spec.HiddenUnits;
        }

        layers.Add(($"fc{spec.HiddenLayers + 1}", Linear(inputs, ModelSpec.Classes)));
        return Sequential(layers);
    }

    private static Module<Tensor, Tensor> BuildCnn(ModelSpec spec, StepRandomness? randomness)
    {
        int first = spec.ConvChannels;
        int second = 2 * spec.ConvChannels;
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("conv1", Conv2d(ModelSpec.InputChannels, first, kernel_size: 3, padding: 1)) };
        if (spec.BatchNorm)
        {
            layers.Add(("bn1", BatchNorm2d(first)));
        }

        layers.Add(("relu1", ReLU()));
        layers.Add(("pool1", MaxPool2d(kernel_size: 2)));
        layers.Add(("conv2", Conv2d(first, second, kernel_size: 3, padding: 1)));
        if (spec.BatchNorm)
        {
            layers.Add(("bn2", BatchNorm2d(second)));
        }

        layers.Add(("relu2", ReLU()));
        layers.Add(("pool2", MaxPool2d(kernel_size: 2)));
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc1", Linear(second * (ModelSpec.InputHeight / 4) * (ModelSpec.InputWidth / 4), spec.HiddenUnits)));
        if (spec.BatchNorm)
        {
            layers.Add(("bn3", BatchNorm1d(spec.HiddenUnits)));
        }

        layers.Add(("relu3", ReLU()));
        AddDropout(layers, spec, randomness, 1);
        layers.Add(("fc2", Linear(spec.HiddenUnits, ModelSpec.Classes)));
        return Sequential(layers);
    }

    private static void AddDropout(List<(string, Module<Tensor, Tensor>)> layers, ModelSpec spec, StepRandomness? randomness, int index)
    {
        if (spec.Dropout > 0)
        {
            // Without randomness (evaluation, merges) a plain Dropout stands in: it has no state and is an identity in eval mode.
            layers.Add(($"drop{index}", randomness is null ? Dropout(spec.Dropout) : new CounterDropout(spec.Dropout, randomness)));
        }
    }

    public static OptimizerHelper CreateOptimizer(TrainingRecipe recipe, Module<Tensor, Tensor> model) => recipe.Optimizer switch
    {
        OptimizerKind.Adam => optim.Adam(model.parameters(), lr: recipe.LearningRate, beta1: recipe.Beta1, beta2: recipe.Beta2, weight_decay: recipe.WeightDecay),
        OptimizerKind.AdamW => optim.AdamW(model.parameters(), lr: recipe.LearningRate, beta1: recipe.Beta1, beta2: recipe.Beta2, weight_decay: recipe.WeightDecay),
        OptimizerKind.Sgd => optim.SGD(model.parameters(), recipe.LearningRate, momentum: recipe.Momentum, weight_decay: recipe.WeightDecay, nesterov: recipe.Nesterov),
        _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe.Optimizer, "Unknown optimizer."),
    };
}
