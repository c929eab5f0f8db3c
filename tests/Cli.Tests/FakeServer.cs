using System.Net;
using System.Text;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Tests;

/// <summary>A request as the fake server saw it.</summary>
public sealed record SeenRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>An HTTP handler that answers from a function and records every request; no sockets.</summary>
public sealed class FakeServer(Func<SeenRequest, HttpResponseMessage> answer) : HttpMessageHandler
{
    public const string Address = "http://fake.test:7071";

    public List<SeenRequest> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => string.Join(",", header.Value));
        var seen = new SeenRequest(request.Method, request.RequestUri!, headers, body);
        lock (Requests)
        {
            Requests.Add(seen);
        }

        return answer(seen);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string mediaType = "application/json") =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) };

    public static HttpResponseMessage Empty(HttpStatusCode status) => new(status) { Content = new ByteArrayContent([]) };

    public static HttpResponseMessage UnknownRun(string runId) => Json(HttpStatusCode.NotFound,
        $$"""{"type":"https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.5","title":"No such training run.","status":404,"detail":"No run with id '{{runId}}' exists in this task hub."}""",
        "application/problem+json");
}

/// <summary>Runs dtrain in process, as a user would from a shell whose output is redirected.</summary>
public sealed class DtrainRun
{
    public required int ExitCode { get; init; }
    public required string Out { get; init; }
    public required string Error { get; init; }

    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();

    public static async Task<DtrainRun> InvokeAsync(HttpMessageHandler? handler, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var host = new CliHost
        {
            Out = output,
            Error = error,
            HttpHandler = handler,
            Environment = name => environment is not null && environment.TryGetValue(name, out string? value) ? value : null,
        };
        int code = await new DtrainCommandLine(host).RunAsync(args, CancellationToken.None);
        return new DtrainRun { ExitCode = code, Out = output.ToString(), Error = error.ToString() };
    }

    public static Task<DtrainRun> InvokeAsync(HttpMessageHandler? handler, params string[] args) => InvokeAsync(handler, null, args);
}
