using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.Watching;
using DurableTrainer.Contracts;
using Spectre.Console;

namespace DurableTrainer.Cli.Commands;

/// <summary>The commands that manage runs on a server: start, status, watch, stop, suspend, resume, list.</summary>
internal sealed class RunCommands(DtrainCommandLine commandLine, CliHost host)
{
    private static readonly JsonSerializerOptions IndentedJson = new(MessageJson.Options) { WriteIndented = true };

    public IEnumerable<Command> Create()
    {
        yield return Start();
        yield return Status();
        yield return Watch();
        yield return Stop();
        yield return SuspendOrResume("suspend");
        yield return SuspendOrResume("resume");
        yield return List();
    }

    /// <summary>Watches a run to its end and prints the report; the exit code says how it ended.</summary>
    public async Task<int> WatchToEndAsync(TrainingServerClient client, string runId, string? statusUri, bool plain, double interval, CancellationToken cancellationToken, bool json = false)
    {
        var watcher = new RunWatcher(client, TimeSpan.FromSeconds(Math.Clamp(interval, 0.05, 60)));
        RunSnapshot final = await watcher.WatchAsync(runId, statusUri, host.WatchView(plain || json), cancellationToken);
        host.Out.WriteLine();
        TimeSpan wall = final.LastUpdatedTime - final.CreatedTime;
        RunReport.Write(host.Out, final, wall, "since it was created");
        if (json)
        {
            host.Out.WriteLine(RunResultLine.For(final, wall));
        }

        return final.ExitCode;
    }

    private Command Start()
    {
        var training = new TrainingRequestOptions();
        var watch = new Option<bool>("--watch") { Description = "Watch the run until it ends (the exit code then says how it ended)." };
        Option<bool> plain = DtrainCommandLine.PlainOption();
        Option<double> interval = DtrainCommandLine.IntervalOption();
        var command = new Command("start", "Submit a run and print its id. Fields not given take the server's defaults (Fashion-MNIST, CNN, 3 epochs).");
        training.AddTo(command);
        command.Options.Add(watch);
        command.Options.Add(plain);
        command.Options.Add(interval);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var request = training.BuildRequest(parseResult, baseRequest: null);
            LocalFiles files = training.LocalFiles(parseResult);
            using TrainingServerClient client = commandLine.Client(parseResult);
            await files.ApplyAsync(client, request, host.Out, cancellationToken);

            ManagementPayload payload = await client.StartAsync(request, cancellationToken);
            host.Out.WriteLine($"Started run {payload.Id}.");
            if (!parseResult.GetValue(watch))
            {
                host.Out.WriteLine($"Watch it with `dtrain watch {payload.Id}`; stop it with `dtrain stop {payload.Id}`.");
                return ExitCodes.Success;
            }

            return await WatchToEndAsync(client, payload.Id, payload.StatusQueryGetUri, parseResult.GetValue(plain), parseResult.GetValue(interval), cancellationToken);
        });
        return command;
    }

    private Command Status()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        var json = new Option<bool>("--json") { Description = "Print the server's summary as JSON." };
        var command = new Command("status", "Show a run's status, progress, evaluations and checkpoints.") { run, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            return await commandLine.WithServerAsync(parseResult, async client =>
            {
                RunSummary summary = await client.GetSummaryAsync(runId, cancellationToken);
                if (parseResult.GetValue(json))
                {
                    host.Out.WriteLine(JsonSerializer.Serialize(summary, IndentedJson));
                    return ExitCodes.Success;
                }

                WriteStatus(host.Out, summary);
                return ExitCodes.Success;
            }, cancellationToken);
        });
        return command;
    }

    public static void WriteStatus(TextWriter output, RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(summary);
        output.WriteLine($"Run:              {summary.RunId}");
        output.WriteLine($"Status:           {summary.RuntimeStatus}{(summary.Phase is null ? string.Empty : $" ({summary.Phase})")}");
        if (summary.Step is { } step)
        {
            output.WriteLine($"Progress:         step {step}{(summary.TotalSteps is { } total ? $" of {total}" : string.Empty)}{(summary.PercentComplete is { } percent ? $" ({percent:F1}%)" : string.Empty)}");
        }

        if (summary.LastLoss is { } loss)
        {
            output.WriteLine($"Training loss:    {loss:F4}");
        }

        if (summary.LastEvaluation is { } last)
        {
            output.WriteLine($"Last validation:  {EvaluationText.All(last)} at step {last.Step}");
        }

        if (summary.BestEvaluation is { } best)
        {
            output.WriteLine($"Best validation:  {EvaluationText.All(best)} at step {best.Step}");
        }

        if (summary.Outcome is { } outcome)
        {
            output.WriteLine($"Outcome:          {outcome}{(summary.StopReason is null ? string.Empty : $" ({summary.StopReason})")}");
        }

        if (summary.FailureReason is { } failure)
        {
            output.WriteLine($"Failure:          {failure}");
        }

        if (summary.FinalCheckpoint is { } final)
        {
            output.WriteLine($"Final checkpoint: {final}");
        }

        if (summary.BestCheckpoint is { } bestCheckpoint)
        {
            output.WriteLine($"Best checkpoint:  {bestCheckpoint}");
        }

        output.WriteLine($"Created:          {summary.CreatedTime.ToString("u", CultureInfo.InvariantCulture)}; updated {summary.LastUpdatedTime.ToString("u", CultureInfo.InvariantCulture)}");
    }

    private Command Watch()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        Option<bool> plain = DtrainCommandLine.PlainOption();
        Option<double> interval = DtrainCommandLine.IntervalOption();
        Option<bool> json = DtrainCommandLine.JsonResultOption();
        var command = new Command("watch", "Follow a run until it ends: progress over total steps, loss, accuracy, learning-rate scale, samples/s, ETA and the trainer's suggestions. Exits 0 when the run completes.") { run, plain, interval, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            return await commandLine.WithServerAsync(
                parseResult,
                client => WatchToEndAsync(client, runId, null, parseResult.GetValue(plain), parseResult.GetValue(interval), cancellationToken, parseResult.GetValue(json)),
                cancellationToken);
        });
        return command;
    }

    private Command Stop()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        var watch = new Option<bool>("--watch") { Description = "Watch the run until it has stopped." };
        Option<bool> plain = DtrainCommandLine.PlainOption();
        var command = new Command("stop", "Stop a run gracefully: the round in progress finishes, is evaluated, and the run ends Stopped on its checkpoint.") { run, watch, plain };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            using TrainingServerClient client = commandLine.Client(parseResult);
            await client.StopAsync(runId, cancellationToken);
            host.Out.WriteLine($"Asked run {runId} to stop: it finishes the round in progress, evaluates, and ends Stopped.");
            return parseResult.GetValue(watch)
                ? await WatchToEndAsync(client, runId, null, parseResult.GetValue(plain), 1.0, cancellationToken)
                : ExitCodes.Success;
        });
        return command;
    }

    private Command SuspendOrResume(string action)
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (kept with the run's history)." };
        bool suspend = action == "suspend";
        var command = new Command(action, suspend
            ? "Suspend a run: no new round starts until it is resumed (a chunk already running finishes)."
            : "Resume a suspended run.") { run, reason };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            using TrainingServerClient client = commandLine.Client(parseResult);
            if (suspend)
            {
                await client.SuspendAsync(runId, parseResult.GetValue(reason), cancellationToken);
                host.Out.WriteLine($"Suspended run {runId}. Resume it with `dtrain resume {runId}`.");
            }
            else
            {
                await client.ResumeAsync(runId, parseResult.GetValue(reason), cancellationToken);
                host.Out.WriteLine($"Resumed run {runId}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private Command List()
    {
        var top = new Option<int>("--top") { Description = $"How many runs, newest first (1-{ApiLimits.MaxListed}).", DefaultValueFactory = _ => 20, HelpName = "n" };
        var json = new Option<bool>("--json") { Description = "Print the server's summaries as JSON." };
        var command = new Command("list", "List recent runs, newest first.") { top, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            int count = parseResult.GetValue(top);
            if (count is < 1 or > ApiLimits.MaxListed)
            {
                throw CliException.Usage($"--top must be between 1 and {ApiLimits.MaxListed}, not {count}.");
            }

            return await commandLine.WithServerAsync(parseResult, async client =>
            {
                IReadOnlyList<RunSummary> runs = await client.ListAsync(count, cancellationToken);
                if (parseResult.GetValue(json))
                {
                    host.Out.WriteLine(JsonSerializer.Serialize(runs, IndentedJson));
                }
                else if (runs.Count == 0)
                {
                    host.Out.WriteLine("No runs yet. Start one with `dtrain start` or `dtrain train`.");
                }
                else if (host.Terminal is { } terminal)
                {
                    var table = new Table().Border(TableBorder.Simple);
                    foreach (string header in Headers)
                    {
                        table.AddColumn(header);
                    }

                    foreach (RunSummary summary in runs)
                    {
                        table.AddRow(Cells(summary).Select(Markup.Escape).ToArray());
                    }

                    terminal.Write(table);
                }
                else
                {
                    WriteColumns(host.Out, runs);
                }

                return ExitCodes.Success;
            }, cancellationToken);
        });
        return command;
    }

    private static readonly string[] Headers = ["RUN", "STATUS", "OUTCOME", "PROGRESS", "STEP", "METRIC", "CREATED (UTC)"];

    private static string[] Cells(RunSummary run) =>
    [
        run.RunId,
        run.RuntimeStatus.ToString(),
        run.Outcome ?? "-",
        run.PercentComplete is { } percent ? $"{percent:F1}%" : "-",
        run.Step?.ToString(CultureInfo.InvariantCulture) ?? "-",
        // The test figure once the run has ended, the latest validation figure while it trains.
        run.TestEvaluation is { } test ? "test " + EvaluationText.Headline(test) : run.LastEvaluation is { } evaluation ? "val " + EvaluationText.Headline(evaluation) : "-",
        run.CreatedTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
    ];

    /// <summary>Plain aligned columns, one run per line, for pipes and logs.</summary>
    public static void WriteColumns(TextWriter output, IReadOnlyList<RunSummary> runs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(runs);
        string[][] rows = runs.Select(Cells).Prepend(Headers).ToArray();
        int[] widths = Enumerable.Range(0, Headers.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (string[] row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }
    }
}
