using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.Cli.Plotting;
using DurableTrainer.Cli.Watching;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using Spectre.Console;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain sweep</c>: a hyperparameter sweep over the run <c>dtrain train</c> would start (the embedded default,
/// <c>--config</c> and the training options), through the same local stack when no server is named; a live table of
/// trials; the best trial at the end. Subcommands <c>status</c>, <c>watch</c>, <c>stop</c>, <c>list</c> and <c>plot</c>
/// manage sweeps on a server.
/// </summary>
public sealed class SweepCommand(DtrainCommandLine commandLine, CliHost host)
{
    public Command Create()
    {
        // --seed is the search's seed here; the runs' own seed can be swept or set with --config.
        var training = new TrainingRequestOptions(without: new HashSet<string>(StringComparer.Ordinal) { "training.seed" });
        SweepOptions options = DeclareOptions();

        var command = new Command("sweep", "Sweep hyperparameters: start Azurite and the worker (unless --server is given), run one trial per point of the space (a grid, or --trials random points), stop weak trials early with --scheduler asha, show a live table of trials, print the best one, and stop what was started.");
        training.AddTo(command);
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            JsonObject request = ReadRequest(parseResult, training, options);
            LocalFiles files = training.LocalFiles(parseResult);
            bool asJson = parseResult.GetValue(options.Json);
            return await RunAsync(request, files, host.ExplicitServer(parseResult.GetValue(commandLine.ServerOption)), commandLine.Key(parseResult),
                parseResult.GetValue(options.Plain) || asJson, asJson, Interval(parseResult, options.Interval), cancellationToken);
        });

        command.Subcommands.Add(Status());
        command.Subcommands.Add(Watch());
        command.Subcommands.Add(Stop());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Plot());
        return command;
    }

    private static SweepOptions DeclareOptions() => new(
        Parameters: new Option<string[]>("--param") { HelpName = "path=values", Description = "A parameter to vary: PATH=v1,v2,... (a choice; a grid visits each) or PATH=loguniform:LOW:HIGH, uniform:LOW:HIGH, int:LOW:HIGH (random search with --trials). PATH is a field of the run, e.g. optimizer.learningRate, model.parameters.hiddenUnits. Repeatable.", AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.OneOrMore },
        Trials: new Option<int?>("--trials") { HelpName = "n", Description = "Random search: draw this many points from the space (without it, a full grid)." },
        Seed: new Option<int?>("--seed") { HelpName = "n", Description = "The random search's seed, or the grid's shuffle seed (default 0)." },
        Shuffle: new Option<bool>("--shuffle") { Description = "Start a grid's trials in a seeded random order instead of as listed (recommended with --scheduler asha)." },
        Scheduler: new Option<string?>("--scheduler") { HelpName = SpecificationNames.Of<SweepSchedulerKind>().Replace(", ", "|", StringComparison.Ordinal), Description = $"What stops trials early: one of {SpecificationNames.Of<SweepSchedulerKind>()} (none by default)." },
        GraceSteps: new Option<long?>("--grace-steps") { HelpName = "n", Description = "ASHA's first rung, in optimizer steps." },
        ReductionFactor: new Option<double?>("--reduction-factor") { HelpName = "eta", Description = "ASHA's reduction factor η (default 3): at each rung the top 1/η go on." },
        MaxConcurrent: new Option<int?>("--max-concurrent") { HelpName = "n", Description = "Trials running at once (default 2)." },
        BudgetSteps: new Option<long?>("--budget-steps") { HelpName = "n", Description = "Stop starting and continuing trials once this many optimizer steps are committed." },
        TrialCheckSeconds: new Option<int?>("--trial-check-seconds") { HelpName = "s", Description = "How often the sweep checks that its running trials' runs still exist (default 60)." },
        SweepId: new Option<string?>("--sweep-id") { HelpName = "id", Description = "The sweep's id (trials are ID-t000, ID-t001, ...); default sweep-{time}-{random}." },
        Plain: DtrainCommandLine.PlainOption(),
        Json: new Option<bool>("--json") { Description = "Print plain progress, then make the last line one JSON object: the sweep id, each trial's parameters, status, steps and final metric, and the best trial." },
        Interval: DtrainCommandLine.IntervalOption());

    /// <summary>The sweep request the command line describes: the base run, the space, the search, the scheduler and the limits.</summary>
    private static JsonObject ReadRequest(ParseResult parseResult, TrainingRequestOptions training, SweepOptions options)
    {
        JsonObject request = new()
        {
            ["base"] = training.BuildRequest(parseResult, DtrainCommandLine.DefaultRun()),
            ["space"] = SweepParameters.Space(parseResult.GetValue(options.Parameters) ?? []),
        };
        if (parseResult.GetValue(options.SweepId) is { } id)
        {
            request["sweepId"] = id;
        }

        request["search"] = ReadSearch(parseResult, options);
        request["scheduler"] = ReadScheduler(parseResult, options);
        if (parseResult.GetValue(options.MaxConcurrent) is { } maxConcurrent)
        {
            request["maxConcurrent"] = maxConcurrent;
        }

        if (parseResult.GetValue(options.BudgetSteps) is { } steps)
        {
            request["budgetSteps"] = steps;
        }

        if (parseResult.GetValue(options.TrialCheckSeconds) is { } seconds)
        {
            request["trialCheckSeconds"] = seconds;
        }

        return request;
    }

    private static JsonObject ReadSearch(ParseResult parseResult, SweepOptions options) =>
        parseResult.GetValue(options.Trials) is { } count
            ? new JsonObject { ["method"] = "random", ["trials"] = count, ["seed"] = parseResult.GetValue(options.Seed) ?? 0 }
            : new JsonObject { ["method"] = "grid", ["seed"] = parseResult.GetValue(options.Seed) ?? 0, ["shuffle"] = parseResult.GetValue(options.Shuffle) };

    private static JsonObject ReadScheduler(ParseResult parseResult, SweepOptions options)
    {
        string kind = parseResult.GetValue(options.Scheduler) ?? (parseResult.GetValue(options.GraceSteps) is not null ? "asha" : "none");
        var schedulerSection = new JsonObject { ["kind"] = kind };
        if (parseResult.GetValue(options.GraceSteps) is { } graceSteps)
        {
            schedulerSection["graceSteps"] = graceSteps;
        }

        if (parseResult.GetValue(options.ReductionFactor) is { } eta)
        {
            schedulerSection["reductionFactor"] = eta;
        }

        return schedulerSection;
    }

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The local stack is disposed asynchronously in the finally block; the analyzer does not follow the nullable local there.")]
    private async Task<int> RunAsync(JsonObject request, LocalFiles files, Uri? server, string? key, bool plain, bool json, TimeSpan interval, CancellationToken cancellationToken)
    {
        LocalServer? stack = null;
        try
        {
            if (server is null)
            {
                stack = await LocalServer.UseAsync(host.Error, cancellationToken: cancellationToken);
                key = null;
            }

            using TrainingServerClient client = host.Client(server ?? stack!.Address, key);
            JsonObject baseRun = request["base"]!.AsObject();
            await files.ApplyAsync(client, baseRun, host.Out, cancellationToken);
            var wall = Stopwatch.StartNew();
            ManagementPayload payload = await client.StartSweepAsync(request, cancellationToken);
            host.Out.WriteLine($"Started sweep {payload.Id}. Status: {ServerErrors.Display(new Uri(payload.StatusQueryGetUri))}");
            SweepStatusView final = await WatchAsync(client, payload.Id, plain, interval, cancellationToken);
            host.Out.WriteLine();
            SweepViews.Summary(host.Out, final, wall.Elapsed);
            if (json)
            {
                host.Out.WriteLine(SweepViews.JsonLine(final, wall.Elapsed));
            }

            return ExitCode(final);
        }
        catch (InvalidOperationException exception) when (server is null)
        {
            throw new CliException($"The local stack did not start: {exception.Message}", ExitCodes.Unreachable);
        }
        finally
        {
            if (stack is not null)
            {
                await stack.DisposeAsync();
            }
        }
    }

    /// <summary>Polls the sweep until it ends: a live table on a terminal, a line per trial change otherwise.</summary>
    private async Task<SweepStatusView> WatchAsync(TrainingServerClient client, string sweepId, bool plain, TimeSpan interval, CancellationToken cancellationToken)
    {
        if (plain || host.Terminal is null)
        {
            var shown = new Dictionary<int, string>();
            while (true)
            {
                SweepStatusView status = await client.GetSweepAsync(sweepId, cancellationToken);
                foreach (var trial in status.Sweep.Trials)
                {
                    string line = SweepViews.Line(status.Sweep, trial);
                    if (trial.Status != "Pending" && (!shown.TryGetValue(trial.Index, out string? before) || before != line))
                    {
                        host.Out.WriteLine(line);
                        shown[trial.Index] = line;
                    }
                }

                if (!SweepViews.IsRunning(status))
                {
                    return status;
                }

                await Task.Delay(interval, cancellationToken);
            }
        }

        SweepStatusView? last = null;
        await host.Terminal.Live(new Text("Waiting for the sweep...")).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async context =>
        {
            while (true)
            {
                last = await client.GetSweepAsync(sweepId, cancellationToken);
                context.UpdateTarget(SweepViews.Table(last));
                context.Refresh();
                if (!SweepViews.IsRunning(last))
                {
                    return;
                }

                await Task.Delay(interval, cancellationToken);
            }
        });
        return last!;
    }

    private static int ExitCode(SweepStatusView status) => status.RuntimeStatus switch
    {
        InstanceRuntimeStatus.Failed => ExitCodes.RunFailed,
        InstanceRuntimeStatus.Terminated => ExitCodes.RunTerminated,
        _ => status.Sweep.Status == "Stopped" ? ExitCodes.RunStopped : ExitCodes.Success,
    };

    private Command Status()
    {
        Argument<string> sweep = SweepArgument();
        var json = new Option<bool>("--json") { Description = "Print the sweep's status document as JSON." };
        var command = new Command("status", "Show a sweep's trials (parameters, status, steps, rung, metric) and its best trial.") { sweep, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using TrainingServerClient client = commandLine.Client(parseResult);
            SweepStatusView status = await client.GetSweepAsync(DtrainCommandLine.RunId(parseResult, sweep), cancellationToken);
            if (parseResult.GetValue(json))
            {
                host.Out.WriteLine(SweepViews.JsonLine(status, TimeSpan.Zero));
                return ExitCodes.Success;
            }

            foreach (var trial in status.Sweep.Trials)
            {
                host.Out.WriteLine(SweepViews.Line(status.Sweep, trial));
            }

            SweepViews.Summary(host.Out, status, TimeSpan.Zero);
            return ExitCodes.Success;
        });
        return command;
    }

    private Command Watch()
    {
        Argument<string> sweep = SweepArgument();
        Option<bool> plain = DtrainCommandLine.PlainOption();
        Option<double> interval = DtrainCommandLine.IntervalOption();
        var command = new Command("watch", "Follow a sweep to its end, then print its summary and best trial.") { sweep, plain, interval };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using TrainingServerClient client = commandLine.Client(parseResult);
            var wall = Stopwatch.StartNew();
            SweepStatusView final = await WatchAsync(client, DtrainCommandLine.RunId(parseResult, sweep), parseResult.GetValue(plain), Interval(parseResult, interval), cancellationToken);
            SweepViews.Summary(host.Out, final, wall.Elapsed);
            return ExitCode(final);
        });
        return command;
    }

    private Command Stop()
    {
        Argument<string> sweep = SweepArgument();
        var command = new Command("stop", "Stop a sweep: nothing new starts; running trials finish their round and end stopped.") { sweep };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using TrainingServerClient client = commandLine.Client(parseResult);
            string id = DtrainCommandLine.RunId(parseResult, sweep);
            await client.StopSweepAsync(id, cancellationToken);
            host.Out.WriteLine($"Asked sweep {id} to stop; `dtrain sweep watch {id}` follows it to the end.");
            return ExitCodes.Success;
        });
        return command;
    }

    private Command List()
    {
        var top = new Option<int>("--top") { Description = "How many sweeps, newest first.", DefaultValueFactory = _ => 20, HelpName = "n" };
        var command = new Command("list", "List recent sweeps, newest first.") { top };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using TrainingServerClient client = commandLine.Client(parseResult);
            foreach (SweepSummary sweep in await client.ListSweepsAsync(parseResult.GetValue(top), cancellationToken))
            {
                host.Out.WriteLine($"{sweep.SweepId}  {sweep.RuntimeStatus}  created {sweep.CreatedTime:u}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private Command Plot()
    {
        Argument<string> sweep = SweepArgument();
        ImageOptions image = ImageOptions.Create();
        var command = new Command("plot", "Write a PNG of every trial's validation curve, trials stopped early dashed and crossed where they stopped, the best one thick.") { sweep };
        foreach (Option option in image.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            (FileInfo target, int width, int height) = image.Read(parseResult);
            using TrainingServerClient client = commandLine.Client(parseResult);
            SweepStatusView status = await client.GetSweepAsync(DtrainCommandLine.RunId(parseResult, sweep), cancellationToken);
            string metric = status.Sweep.Metric;
            var curves = new List<TrialCurve>();
            foreach (SweepTrialView trial in status.Sweep.Trials.Where(trial => trial.Status is not ("Pending" or "NotStarted")))
            {
                byte[]? body = await client.GetRunResourceAsync(trial.RunId.Value, "metrics?kind=evaluation", "metrics", cancellationToken);
                try
                {
                    curves.Add(new TrialCurve(trial, body is null ? [] : TrialCurve.Read(System.Text.Encoding.UTF8.GetString(body), metric)));
                }
                catch (JsonException)
                {
                    throw new CliException($"The server at {ServerErrors.Display(client.Server)} sent metrics for trial {trial.Index} ('{trial.RunId}') that are not the expected JSON.", ExitCodes.Unreachable);
                }
            }

            SweepPlot.SavePng(status.Sweep, curves, target.FullName, width, height);
            host.Out.WriteLine($"Wrote {target.FullName}: {curves.Count(curve => curve.Points.Count > 0)} trial curve(s), {curves.Sum(curve => curve.Points.Count)} evaluations of {metric}, {curves.Count(curve => curve.Trial.Status == "Stopped")} trial(s) stopped early.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Argument<string> SweepArgument() => new("sweep") { Description = "The sweep id (as `dtrain sweep list` shows it)." };

    private static TimeSpan Interval(ParseResult parseResult, Option<double> interval) =>
        TimeSpan.FromSeconds(Math.Clamp(parseResult.GetValue(interval), 0.1, 3600));

    /// <summary>The options of <c>dtrain sweep</c> itself, beside the training options it shares with <c>dtrain train</c>.</summary>
    private sealed record SweepOptions(
        Option<string[]> Parameters, Option<int?> Trials, Option<int?> Seed, Option<bool> Shuffle, Option<string?> Scheduler,
        Option<long?> GraceSteps, Option<double?> ReductionFactor, Option<int?> MaxConcurrent, Option<long?> BudgetSteps,
        Option<int?> TrialCheckSeconds, Option<string?> SweepId, Option<bool> Plain, Option<bool> Json, Option<double> Interval)
    {
        /// <summary>Every option, in the order the help lists them.</summary>
        public Option[] All => [Parameters, Trials, Seed, Shuffle, Scheduler, GraceSteps, ReductionFactor, MaxConcurrent, BudgetSteps, TrialCheckSeconds, SweepId, Plain, Json, Interval];
    }
}
