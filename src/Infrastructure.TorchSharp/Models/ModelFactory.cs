using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using DurableTrainer.Infrastructure.TorchSharp.Models.Optimizers;
using DurableTrainer.Infrastructure.TorchSharp.Models.TorchScript;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// Builds a resolved <see cref="ModelSpec"/> as TorchSharp modules, and the optimizer that trains it. Layer names
/// are part of the checkpoint and export format (PyTorch sees the same state-dict keys).
/// </summary>
public static class ModelFactory
{
    /// <summary>
    /// Builds the model with its initial weights drawn from <paramref name="seed"/>. A TorchScript model starts from
    /// the weights saved in its file, as it would in PyTorch.
    /// </summary>
    public static Module<Tensor, Tensor> Create(ModelSpec spec, long seed, StepRandomness? randomness = null) => Build(spec, seed, randomness);

    /// <summary>Builds the model to load a checkpoint into (its initial weights are overwritten).</summary>
    public static Module<Tensor, Tensor> Create(ModelSpec spec, StepRandomness? randomness = null) => Build(spec, null, randomness);

    private static Module<Tensor, Tensor> Build(ModelSpec spec, long? seed, StepRandomness? randomness)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Module<Tensor, Tensor> model = spec.Script is { } script ? ScriptedNetwork.Load(script.Content, randomness) : BuildLayers(spec, seed, randomness);
        Freezing.Apply(model, spec.Section.Freeze);
        return model;
    }

    private static Module<Tensor, Tensor> BuildLayers(ModelSpec spec, long? seed, StepRandomness? randomness)
    {
        // Building a module draws its initial weights from libtorch's process-wide generator.
        lock (GlobalGenerator.Lock)
        {
            if (seed is { } value)
            {
                random.manual_seed(value);
            }

            return LayerStackBuilder.Build(spec.Layers, spec.Shape.Input, randomness, spec.Shape.PaddingId);
        }
    }

    public static OptimizerHelper CreateOptimizer(OptimizerSection optimizer, Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(model);
        ITrainingOptimizer implementation = TrainingOptimizers.Find(optimizer.Name)
            ?? throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer.Name, "Unknown optimizer.");
        // Frozen parameters are left out, so they get no optimizer state (and no weight decay moves them).
        return implementation.Create(Freezing.Trainable(model), optimizer);
    }
}
