using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Client;

/// <summary>Turns HTTP failures into sentences a user can act on. Never a stack trace.</summary>
public static class ServerErrors
{
    public const string KeyHint = "pass --key or set DTRAIN_KEY";

    public static CliException Unreachable(Uri server) => new(
        $"Could not reach the DurableTrainer server at {Display(server)}. Start it with `dtrain up` or `dtrain train`, or pass --server.",
        ExitCodes.Unreachable) { NothingListening = true };

    public static CliException TimedOut(Uri server, TimeSpan timeout) => new(
        $"The DurableTrainer server at {Display(server)} did not answer within {timeout.TotalSeconds:F0} s. Check that it is healthy, or pass --server.",
        ExitCodes.Unreachable);

    /// <summary>Maps an unsuccessful answer to a sentence. <paramref name="runId"/> names the run the request was about.</summary>
    public static CliException FromResponse(HttpStatusCode status, string body, Uri server, string? runId)
    {
        int code = (int)status;
        ProblemDetails? problem = ProblemDetails.TryParse(body);
        return status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new CliException(
                $"The server refused the key; {KeyHint}. ({code} from {Display(server)})", ExitCodes.KeyRefused),
            HttpStatusCode.NotFound when runId is not null => UnknownRun(runId, server),
            HttpStatusCode.NotFound => new CliException(
                $"The server at {Display(server)} has no such route ({code}). Is it a DurableTrainer server? Check --server.", ExitCodes.NotFound),
            HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity => new CliException(
                Rejection(code, problem, body), ExitCodes.Rejected),
            _ when code >= 500 => new CliException(
                $"The server at {Display(server)} failed ({code}){Suffix(problem, body)}. Its log says more; try again.", ExitCodes.Unreachable),
            _ => new CliException(
                $"The server at {Display(server)} answered {code}{Suffix(problem, body)}.", ExitCodes.Rejected),
        };
    }

    public static CliException UnknownRun(string runId, Uri server) => new(
        $"No run '{runId}' on the server at {Display(server)}. `dtrain list` shows the runs it has.", ExitCodes.NotFound);

    /// <summary>True for failures that mean nothing is listening (or the name does not resolve).</summary>
    public static bool IsConnectionFailure(HttpRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
            || exception.InnerException is SocketException;
    }

    /// <summary>The server's address without any key in its query.</summary>
    public static string Display(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    private static string Rejection(int code, ProblemDetails? problem, string body)
    {
        var text = new StringBuilder();
        text.Append("The server rejected the request (").Append(code).Append(')');
        if (problem?.Title is { } title)
        {
            text.Append(": ").Append(title.TrimEnd('.')).Append('.');
        }
        else
        {
            text.Append('.');
        }

        if (problem is { Errors.Count: > 0 })
        {
            foreach (var (field, rules) in problem.Errors)
            {
                foreach (string rule in rules)
                {
                    text.Append('\n').Append("  ").Append(field).Append(": ").Append(rule);
                }
            }

            text.Append("\nFix the fields above (see `dtrain start --help`) and try again.");
        }
        else if (problem?.Detail is { } detail)
        {
            text.Append(' ').Append(detail);
        }
        else if (!string.IsNullOrWhiteSpace(body))
        {
            text.Append(' ').Append(Shorten(body));
        }

        return text.ToString();
    }

    private static string Suffix(ProblemDetails? problem, string body) =>
        problem?.Detail is { } detail ? ": " + detail
        : problem?.Title is { } title ? ": " + title
        : string.IsNullOrWhiteSpace(body) ? string.Empty : ": " + Shorten(body);

    private static string Shorten(string text)
    {
        string single = text.ReplaceLineEndings(" ").Trim();
        return single.Length > 300 ? single[..300] + "..." : single;
    }
}

/// <summary>The parts of an RFC 9457 problem details body that <c>dtrain</c> shows.</summary>
public sealed record ProblemDetails(string? Title, string? Detail, IReadOnlyList<KeyValuePair<string, string[]>> Errors)
{
    public static ProblemDetails? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var errors = new List<KeyValuePair<string, string[]>>();
            if (root.TryGetProperty("errors", out JsonElement errorObject) && errorObject.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty field in errorObject.EnumerateObject())
                {
                    string[] rules = field.Value.ValueKind switch
                    {
                        JsonValueKind.Array => field.Value.EnumerateArray().Select(rule => rule.ValueKind == JsonValueKind.String ? rule.GetString()! : rule.ToString()).ToArray(),
                        JsonValueKind.String => [field.Value.GetString()!],
                        _ => [field.Value.ToString()],
                    };
                    errors.Add(new(field.Name, rules));
                }
            }

            string? title = Text(root, "title");
            string? detail = Text(root, "detail");
            return title is null && detail is null && errors.Count == 0 ? null : new ProblemDetails(title, detail, errors);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
