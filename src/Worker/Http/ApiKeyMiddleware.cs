using System.Security.Cryptography;
using System.Text;

namespace DurableTrainer.Worker.Http;

/// <summary>
/// When <c>Security:ApiKey</c> is set, every route (the management URLs included) requires it, in the
/// <c>x-api-key</c> header, in Azure Functions' <c>x-functions-key</c> header (so one client, <c>dtrain</c>, can talk
/// to either host the same way), or, as Durable Functions' URLs carry keys, in the <c>code</c> query parameter.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, string apiKey)
{
    public const string HeaderName = "x-api-key";
    public const string FunctionsHeaderName = "x-functions-key";
    public const string QueryName = "code";

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    public async Task InvokeAsync(HttpContext context)
    {
        string? presented = context.Request.Headers[HeaderName].FirstOrDefault()
            ?? context.Request.Headers[FunctionsHeaderName].FirstOrDefault()
            ?? context.Request.Query[QueryName].FirstOrDefault();
        // Hashing both sides gives equal lengths, so the comparison takes the same time whatever was sent.
        if (presented is null || !CryptographicOperations.FixedTimeEquals(_expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented))))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsJsonAsync(new
            {
                title = "An API key is required.",
                status = 401,
                detail = $"Send the worker's API key in the '{HeaderName}' or '{FunctionsHeaderName}' header or the '{QueryName}' query parameter.",
            });
            return;
        }

        await next(context);
    }
}
