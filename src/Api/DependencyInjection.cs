using DurableTrainer.Application.UseCases;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Api;

/// <summary>The HTTP API's registrations (and the use case behind it) for a host that resolves its scheduler and run client from the container.</summary>
public static class DependencyInjection
{
    public static IServiceCollection AddTrainingApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<TrainModelUseCase>();
        services.AddSingleton<TrainingHttpApi>();
        services.AddSingleton<ModelExportHttpApi>();
        services.AddSingleton<ModelFileHttpApi>();
        services.AddSingleton<DatasetFileHttpApi>();
        services.AddSingleton<TrainingDashboardApi>();
        services.AddSingleton<StartSweepUseCase>();
        services.AddSingleton<StartTrialHandler>();
        services.AddSingleton<Application.Sweeps.RecordSweepHandler>();
        services.AddSingleton<Application.Sweeps.FindLostTrialsHandler>();
        services.AddSingleton<SweepHttpApi>();
        services.AddHostedService<SubmissionWarmUp>();
        return services;
    }
}
