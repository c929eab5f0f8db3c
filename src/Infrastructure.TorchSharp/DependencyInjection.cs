using DurableTrainer.Application.Ports;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.Models;
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
        services.AddSingleton<DatasetProvider>();
        services.AddSingleton<IDatasetCatalog>(provider => provider.GetRequiredService<DatasetProvider>());
        services.AddSingleton(ModelRegistry.BuiltIn);
        services.AddSingleton<IModelCatalog>(provider => provider.GetRequiredService<ModelRegistry>());
        services.AddSingleton<ITrainingExecutor, TorchSharpTrainingExecutor>();
        services.AddSingleton<IModelExporter, PyTorchModelExporter>();
        return services;
    }
}
