using DurableTrainer.Worker.Engine;

namespace DurableTrainer.Worker.Http;

/// <summary>
/// Until the durable engine has reached its storage, every route but health answers 503 with the reason and a
/// Retry-After, rather than failing deep inside the task hub client.
/// </summary>
public sealed class EngineReadinessMiddleware(RequestDelegate next, DurableEngine engine)
{
    public static readonly string HealthPath = Api.ApiRoutes.Health.WorkerPath;

    public async Task InvokeAsync(HttpContext context)
    {
        if (engine.IsReady || context.Request.Path.Equals(HealthPath, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        context.Response.ContentType = "application/problem+json";
        await context.Response.WriteAsJsonAsync(new
        {
            title = "The worker is not ready yet.",
            status = 503,
            detail = $"The task hub is not ready: {engine.NotReadyReason}. Try again shortly.",
        });
    }
}
