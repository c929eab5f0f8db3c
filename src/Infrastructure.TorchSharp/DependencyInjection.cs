using Microsoft.Extensions.Logging;
using DurableTrainer.Application.Ports;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Prediction;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Infrastructure.TorchSharp;

/// <summary>The TorchSharp adapter's registrations, for both hosts.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Registers the executor and everything it is made of: the datasets (also the <see cref="IDatasetCatalog"/>),
    /// the model registry (also the <see cref="IModelCatalog"/>) and the PyTorch exporter.
    /// </summary>
    public static IServiceCollection AddTorchSharpTraining(this IServiceCollection services, TorchSharpExecutorOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        // Users' data comes from the host's dataset store (blob storage), when it registers one.
        services.AddSingleton(provider => new DatasetProvider(options, provider.GetService<IDatasetStore>(), logger: provider.GetService<ILoggerFactory>()?.CreateLogger<DatasetProvider>()));
        services.AddSingleton<IDatasetCatalog>(provider => provider.GetRequiredService<DatasetProvider>());
        // TorchScript and weights files come from the host's model store (blob storage), when it registers one; the
        // runs a run starts from, from its checkpoint store.
        services.AddSingleton(provider => ModelRegistry.BuiltIn.WithStores(provider.GetService<IModelFileStore>(), provider.GetService<ICheckpointStore>()));
        services.AddSingleton<IModelCatalog>(provider => provider.GetRequiredService<ModelRegistry>());
        services.AddSingleton<ITrainingExecutor, TorchSharpTrainingExecutor>();
        services.AddSingleton<IModelExporter, PyTorchModelExporter>();
        services.AddSingleton<IModelPredictor>(provider => new TorchSharpModelPredictor(
            provider.GetRequiredService<ICheckpointStore>(), provider.GetRequiredService<DatasetProvider>(), options,
            provider.GetRequiredService<ModelRegistry>(), provider.GetService<IDatasetStore>(),
            provider.GetService<ILoggerFactory>()?.CreateLogger<TorchSharpModelPredictor>()));
        // A language model generates through the predictor, sharing its cache of loaded checkpoints.
        services.AddSingleton<ITextGenerator>(provider => (TorchSharpModelPredictor)provider.GetRequiredService<IModelPredictor>());
        return services;
    }
}
