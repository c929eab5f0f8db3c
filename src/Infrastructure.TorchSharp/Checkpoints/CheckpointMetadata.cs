using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Checkpoints;

/// <summary>
/// Where a replica is in its data: after <see cref="ReplicaSteps"/> optimizer steps of <see cref="MicroBatchesPerStep"/>
/// micro-batches, it is at <see cref="PositionInEpoch"/> of epoch <see cref="Epoch"/> of an order shuffled from
/// <see cref="ShuffleSeed"/>. Dropout's RNG is a function of the same numbers (see StepRandomness), so this is
/// also the RNG state.
/// </summary>
public sealed record DataCursor(long ReplicaSteps, int MicroBatchesPerStep, int ShuffleSeed, long Epoch, long PositionInEpoch)
{
    public long MicroBatches => ReplicaSteps * MicroBatchesPerStep;

    public static DataCursor For(TrainingRecipe recipe, long replicaSteps, int batchesPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        TrainingSection training = recipe.Training;
        long microBatches = replicaSteps * training.GradientAccumulationSteps;
        return new DataCursor(replicaSteps, training.GradientAccumulationSteps, training.Seed, microBatches / batchesPerEpoch, microBatches % batchesPerEpoch);
    }
}

/// <summary>
/// The self-description at the head of every checkpoint: what wrote it (format, TorchSharp and libtorch versions),
/// what it holds (model spec, optimizer, hyperparameter hash) and where training was (data cursor and RNG).
/// </summary>
public sealed record CheckpointMetadata(
    int FormatVersion,
    string ModelSpec,
    string? Optimizer,
    string HyperparameterHash,
    DataCursor Cursor,
    string TorchSharpVersion,
    string LibTorchVersion,
    string RandomNumbers)
{
    public static readonly string TorchSharpAssemblyVersion =
        typeof(global::TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(global::TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static CheckpointMetadata Create(TrainingRecipe recipe, string modelSpec, bool hasOptimizer, DataCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        return new CheckpointMetadata(
            CheckpointFormat.FormatVersion,
            modelSpec,
            hasOptimizer ? recipe.Optimizer.Name.ToString() : null,
            HashOf(recipe),
            cursor,
            TorchSharpAssemblyVersion,
            __version__,
            $"counter-based: dropout masks seeded from (seed {recipe.Training.Seed}, replica, micro-batch); data order from (seed, replica, epoch)");
    }

    /// <summary>A short SHA-256 of the recipe: equal hashes mean the checkpoint was written under the same hyperparameters.</summary>
    public static string HashOf(TrainingRecipe recipe) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(recipe, Json))))[..16];

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CheckpointMetadata FromJson(string json) =>
        JsonSerializer.Deserialize<CheckpointMetadata>(json, Json) ?? throw new InvalidDataException("its metadata is empty");
}
