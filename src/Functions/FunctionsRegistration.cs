using DurableTrainer.Api;
using DurableTrainer.Application.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Functions;

/// <summary>The Functions app's own registrations: the durable extension's client in the roles the application and the API ask for.</summary>
public static class FunctionsRegistration
{
    /// <summary>
    /// Registers the run, sweep and prediction job starters and the run client over the invocation's task hub client
    /// (<see cref="InvocationDurableClient"/>), so the use cases and the API are built by the container, as in the
    /// self-hosted worker.
    /// </summary>
    public static IServiceCollection AddFunctionsDurableClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(new DurableTaskClientRuns(() => InvocationDurableClient.Current));
        services.AddSingleton<ITrainingRunStarter>(provider => provider.GetRequiredService<DurableTaskClientRuns>());
        services.AddSingleton<ISweepStarter>(provider => provider.GetRequiredService<DurableTaskClientRuns>());
        services.AddSingleton<IPredictionJobStarter>(provider => provider.GetRequiredService<DurableTaskClientRuns>());
        services.AddSingleton<ITrainingRunClient>(provider => provider.GetRequiredService<DurableTaskClientRuns>());
        return services;
    }
}
