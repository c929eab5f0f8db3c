using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.Watching;
using Spectre.Console;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// What the commands need from the outside world: where output goes, the environment, how HTTP is sent and whether
/// a person is watching. The real process uses the console; tests pass writers and a fake HTTP handler.
/// </summary>
public sealed class CliHost
{
    public const string DefaultServer = "http://127.0.0.1:7071";
    public const string ServerVariable = "DTRAIN_SERVER";
    public const string KeyVariable = "DTRAIN_KEY";

    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>A terminal that can redraw in place; null when output is redirected (then views print plain lines).</summary>
    public IAnsiConsole? Terminal { get; init; }

    public static CliHost ForConsole()
    {
        bool interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
        return new CliHost { Out = Console.Out, Error = Console.Error, Terminal = interactive ? AnsiConsole.Console : null };
    }

    public IWatchView WatchView(bool plain) => plain || Terminal is null ? new PlainWatchView(Out) : new LiveWatchView(Terminal);

    /// <summary><c>--server</c>, else <c>DTRAIN_SERVER</c>, else the local default; null when neither was given.</summary>
    public Uri? ExplicitServer(string? option)
    {
        string? text = option ?? NonEmpty(Environment(ServerVariable));
        if (text is null)
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out Uri? server) && server.Scheme is "http" or "https"
            ? server
            : throw CliException.Usage($"--server must be an absolute http or https URL such as {DefaultServer}, not '{text}'.");
    }

    public Uri Server(string? option) => ExplicitServer(option) ?? new Uri(DefaultServer);

    public string? Key(string? option) => NonEmpty(option) ?? NonEmpty(Environment(KeyVariable));

    public TrainingServerClient Client(Uri server, string? key) => new(server, key, HttpHandler);

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
