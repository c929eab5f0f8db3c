using System.CommandLine;
using System.CommandLine.Help;
using System.Reflection;
using System.Text.Json.Nodes;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain</c>'s command tree: global options (<c>--server</c>, <c>--key</c>), then train, up, start, status, watch, stop,
/// suspend, resume, list, plot, export, predict and sweep. Every failure ends as a sentence on standard error and an exit code from
/// <see cref="ExitCodes"/>.
/// </summary>
public sealed class DtrainCommandLine
{
    private readonly CliHost _host;

    public DtrainCommandLine(CliHost host)
    {
        _host = host;
        ServerOption = new Option<string?>("--server") { Description = $"The DurableTrainer server (self-hosted worker or Azure Functions app). Default: ${CliHost.ServerVariable}, else {CliHost.DefaultServer}.", Recursive = true, HelpName = "url" };
        KeyOption = new Option<string?>("--key") { Description = $"The server's API key or function key. Default: ${CliHost.KeyVariable}.", Recursive = true, HelpName = "key" };
        Root = new RootCommand("dtrain: train neural networks as durable workflows, and watch, steer, plot and export the runs.");
        Root.Options.Add(ServerOption);
        Root.Options.Add(KeyOption);
        if (Root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction help } helpOption)
        {
            helpOption.Action = new HelpWithExitCodes(help);
        }

        var runCommands = new RunCommands(this, host);
        Root.Subcommands.Add(TrainCommand.Create(this, host));
        Root.Subcommands.Add(new UpCommand(host).Create());
        foreach (Command command in runCommands.Create())
        {
            Root.Subcommands.Add(command);
        }

        Root.Subcommands.Add(new PlotCommand(this, host).Create());
        Root.Subcommands.Add(new ExportCommand(this, host).Create());
        Root.Subcommands.Add(new PredictCommand(this, host).Create());
        Root.Subcommands.Add(new GenerateCommand(this, host).Create());
        Root.Subcommands.Add(new SweepCommand(this, host).Create());
    }

    public RootCommand Root { get; }

    public Option<string?> ServerOption { get; }

    public Option<string?> KeyOption { get; }

    public static Argument<string> RunArgument() => new("run") { Description = "The run id (as `dtrain list` shows it)." };

    public static Option<bool> PlainOption() => new("--plain") { Description = "Print one line per change instead of a live display (the default when output is redirected)." };

    public static Option<bool> JsonResultOption() => new("--json") { Description = "Print plain progress, then make the last line of standard output one JSON object: run id, status, outcome, final and best evaluation, checkpoints, wall time from submission to the end (wallSeconds)." };

    public static Option<double> IntervalOption() => new("--interval") { Description = "Seconds between status polls.", DefaultValueFactory = _ => 1.0, HelpName = "seconds" };

    /// <summary>Parses and runs; never throws for anything a user can cause.</summary>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ParseResult parseResult = Root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await _host.Error.WriteLineAsync(error.Message);
            }

            await _host.Error.WriteLineAsync("Try `dtrain --help`.");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration { Output = _host.Out, Error = _host.Error, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken);
        }
        catch (CliException exception)
        {
            await _host.Error.WriteLineAsync(exception.Message);
            return exception.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _host.Error.WriteLineAsync("Cancelled.");
            return ExitCodes.Cancelled;
        }
    }

    public Uri Server(ParseResult parseResult) => _host.Server(parseResult.GetValue(ServerOption));

    public string? Key(ParseResult parseResult) => _host.Key(parseResult.GetValue(KeyOption));

    public TrainingServerClient Client(ParseResult parseResult) => _host.Client(Server(parseResult), Key(parseResult));

    /// <summary>
    /// Runs <paramref name="work"/>, a command that reads or uses runs, against the server the command line names;
    /// without one, against the local stack <c>dtrain up</c> keeps standing, else the worker at the default address,
    /// else a local stack started on the repository's local data for this command alone and stopped after it.
    /// </summary>
    public async Task<int> WithServerAsync(ParseResult parseResult, Func<TrainingServerClient, Task<int>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        Uri? named = _host.ExplicitServer(parseResult.GetValue(ServerOption));
        if (named is not null)
        {
            using TrainingServerClient client = _host.Client(named, Key(parseResult));
            return await work(client);
        }

        if (await StandingStack.FindAsync(cancellationToken) is { } standing)
        {
            using TrainingServerClient client = _host.Client(standing.Address, null);
            return await work(client);
        }

        try
        {
            using TrainingServerClient client = _host.Client(new Uri(CliHost.DefaultServer), Key(parseResult));
            return await work(client);
        }
        catch (CliException exception) when (exception.NothingListening)
        {
            await using LocalServer local = await LocalServer.UseAsync(_host.Error, cancellationToken: cancellationToken);
            using TrainingServerClient client = _host.Client(local.Address, null);
            return await work(client);
        }
    }

    public static JsonObject DefaultRun()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("DurableTrainer.Cli.DefaultRun.json")
            ?? throw new InvalidOperationException("The embedded default configuration is missing.");
        return JsonNode.Parse(stream)!.AsObject();
    }

    /// <summary>A run id from the command line, checked for the shape the server accepts so typos get a usage error.</summary>
    public static string RunId(ParseResult parseResult, Argument<string> argument)
    {
        string runId = parseResult.GetValue(argument) ?? string.Empty;
        return runId.Length is > 0 and <= 200 && !runId.Any(char.IsControl) && !runId.Contains('/', StringComparison.Ordinal)
            ? runId
            : throw CliException.Usage($"'{runId}' is not a run id. `dtrain list` shows the runs the server has.");
    }
}
