using System.Diagnostics.CodeAnalysis;
using DurableTrainer.Api;
using DurableTrainer.Application;
using DurableTrainer.Application.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DurableTrainer.Functions.Tests;

/// <summary>
/// The function classes as the Functions host builds them: from a container composed with Program.cs's own
/// <c>Add…</c> calls for the application, the durable client and the API, over the ports a test gives in place
/// of the TorchSharp and blob adapters.
/// </summary>
internal static class FunctionsComposition
{
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The container lives as long as the functions it builds; it holds no disposable singletons of its own.")]
    public static T Create<T>(Action<IServiceCollection> ports)
        where T : class
    {
        var services = new ServiceCollection();
        services.AddLogging();
        ports(services);
        services.TryAddSingleton<ITrainingJournal>(NoTrainingJournal.Instance);
        services.AddApplication().AddFunctionsDurableClient().AddTrainingApi();
        ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });
        return ActivatorUtilities.CreateInstance<T>(provider);
    }

    public static TrainingOrchestrationFunctions Orchestrations(ITrainingExecutor executor, ICheckpointPruner pruner, Action<IServiceCollection>? more = null) =>
        Create<TrainingOrchestrationFunctions>(services =>
        {
            services.AddSingleton(executor);
            services.AddSingleton(pruner);
            more?.Invoke(services);
        });
}
