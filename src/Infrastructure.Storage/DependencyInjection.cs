using Azure.Storage.Blobs;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>The blob storage adapter's registrations, for both hosts.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Registers checkpoints in <paramref name="checkpointContainer"/> (with the pruner that deletes them) and the
    /// metrics journal in a sibling container named by <paramref name="metricsContainer"/>, so checkpoint listings stay
    /// checkpoints only, users' model files in another sibling, <paramref name="modelsContainer"/> (<c>models</c>), and users'
    /// data in any container of the same account (<c>datasets</c> by default), and sweeps' documents in <c>sweeps</c>.
    /// </summary>
    public static IServiceCollection AddBlobStorage(
        this IServiceCollection services,
        Func<IServiceProvider, BlobContainerClient> checkpointContainer,
        Func<IServiceProvider, string?> metricsContainer,
        Func<IServiceProvider, string?>? modelsContainer = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(checkpointContainer);
        ArgumentNullException.ThrowIfNull(metricsContainer);
        services.AddSingleton(checkpointContainer);
        services.AddSingleton<ICheckpointStore, BlobCheckpointStore>();
        services.AddSingleton<ICheckpointPruner, CheckpointPruner>();
        services.AddSingleton(provider => BlobTrainingJournal.Beside(provider.GetRequiredService<BlobContainerClient>(), metricsContainer(provider)));
        services.AddSingleton<ITrainingJournal>(provider => provider.GetRequiredService<BlobTrainingJournal>());
        services.AddSingleton<ITrainingJournalReader>(provider => provider.GetRequiredService<BlobTrainingJournal>());
        services.AddSingleton<IModelFileStore>(provider => BlobModelFileStore.Beside(provider.GetRequiredService<BlobContainerClient>(), modelsContainer?.Invoke(provider)));
        services.AddSingleton<IDatasetStore>(provider => BlobDatasetStore.Beside(provider.GetRequiredService<BlobContainerClient>()));
        services.AddSingleton<ISweepStore>(provider => BlobSweepStore.Beside(provider.GetRequiredService<BlobContainerClient>()));
        return services;
    }
}
