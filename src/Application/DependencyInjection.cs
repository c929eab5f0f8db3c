using DurableTrainer.Application.Sweeps;
using DurableTrainer.Application.UseCases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DurableTrainer.Application;

/// <summary>The application layer's registrations: its use cases and the handlers the durable activities call.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Registers the use cases and handlers. They are written against ports (the run starter, the catalogs, the
    /// stores), which the host registers through the adapters' own <c>Add…</c> calls.
    /// </summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new Predictions.PredictionJobSettings());
        services.AddSingleton<TrainModelUseCase>();
        services.AddSingleton<StartSweepUseCase>();
        services.AddSingleton<StartPredictionUseCase>();
        services.AddSingleton<StartTrialHandler>();
        services.AddSingleton<RecordSweepHandler>();
        services.AddSingleton<FindLostTrialsHandler>();
        return services;
    }
}
