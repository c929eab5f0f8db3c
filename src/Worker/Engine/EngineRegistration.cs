using DurableTrainer.Api;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.Worker.Engine;

/// <summary>The task hub's storage, resolved from the settings once at start-up.</summary>
public sealed record StorageConnection(string ConnectionString);

/// <summary>The self-hosted durable engine's registrations.</summary>
public static class EngineRegistration
{
    /// <summary>
    /// Registers the engine (which runs every task of <see cref="Durable.DurableTasks"/>, created from the container)
    /// as a hosted service, and its client in the roles the application and the API ask for: the run starter, the
    /// sweep starter and the run client.
    /// </summary>
    public static IServiceCollection AddSelfHostedEngine(this IServiceCollection services, DurableEngineOptions options, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(new StorageConnection(connectionString));
        services.AddSingleton<StorageClients>();
        services.AddHostedService<StorageFaultReporter>();
        services.AddSingleton<DurableEngine>();
        services.AddHostedService(provider => provider.GetRequiredService<DurableEngine>());
        services.AddSingleton<TaskHubRunStarter>();
        services.AddSingleton<ITrainingRunStarter>(provider => provider.GetRequiredService<TaskHubRunStarter>());
        services.AddSingleton<ISweepStarter>(provider => provider.GetRequiredService<TaskHubRunStarter>());
        services.AddSingleton<IPredictionJobStarter>(provider => provider.GetRequiredService<TaskHubRunStarter>());
        services.AddSingleton<ITrainingRunClient, TaskHubRunClient>();
        return services;
    }
}
