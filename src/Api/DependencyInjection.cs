using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Api;

/// <summary>The HTTP API's registrations, for a host that resolves its run starter and run client from the container (use cases: <c>AddApplication</c>).</summary>
public static class DependencyInjection
{
    public static IServiceCollection AddTrainingApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<TrainingHttpApi>();
        // A run that starts from another's checkpoint finds it through the same run client as the routes.
        services.AddSingleton<Application.Ports.IRunCheckpoints, RunCheckpointsLookup>();
        services.AddSingleton<ModelExportHttpApi>();
        services.AddSingleton<ModelFileHttpApi>();
        services.AddSingleton<DatasetFileHttpApi>();
        services.AddSingleton<TrainingDashboardApi>();
        services.AddSingleton<SweepHttpApi>();
        services.AddSingleton<PredictionHttpApi>();
        services.AddSingleton<GenerationHttpApi>();
        services.AddHostedService<SubmissionWarmUp>();
        return services;
    }
}
