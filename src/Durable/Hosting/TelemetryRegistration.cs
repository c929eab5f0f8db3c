using DurableTrainer.Application.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DurableTrainer.Durable.Hosting;

/// <summary>
/// Switches OpenTelemetry on from configuration, the same way in both hosts:
/// <c>OpenTelemetry:Enabled</c> (default false) and <c>OpenTelemetry:Exporter</c> = <c>otlp</c> (default; the endpoint
/// comes from the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) or <c>console</c>. Traces cover every executor
/// operation (tagged with the run id); metrics count steps and samples and record chunk time, loss, accuracy and
/// checkpoint sizes.
/// </summary>
public static class TelemetryRegistration
{
    public const string SectionName = "OpenTelemetry";

    public static IServiceCollection AddTrainingTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection section = configuration.GetSection(SectionName);
        if (!bool.TryParse(section["Enabled"], out bool enabled) || !enabled)
        {
            return services;
        }

        string exporter = section["Exporter"] ?? "otlp";
        if (exporter is not ("otlp" or "console"))
        {
            throw new InvalidOperationException($"OpenTelemetry:Exporter must be otlp or console, not '{exporter}'.");
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(TrainingTelemetry.Name);
                if (exporter == "console")
                {
                    tracing.AddConsoleExporter();
                }
                else
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(TrainingTelemetry.Name);
                if (exporter == "console")
                {
                    metrics.AddConsoleExporter();
                }
                else
                {
                    metrics.AddOtlpExporter();
                }
            });
        return services;
    }
}
