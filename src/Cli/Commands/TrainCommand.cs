using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.Cli.Watching;
using DurableTrainer.Contracts;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain train</c>, the main job: start the local stack (Azurite + worker) unless a server is given
/// (<c>--server</c> or <c>DTRAIN_SERVER</c>), submit the embedded default run overridden by options, watch it to its end,
/// report the final test accuracy and checkpoint, and stop what it started.
/// </summary>
public static class TrainCommand
{
    public const string HubName = LocalStackSession.HubName;

    public static Command Create(DtrainCommandLine commandLine, CliHost host)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(host);
        var training = new TrainingRequestOptions();
        Option<bool> plain = DtrainCommandLine.PlainOption();
        Option<bool> json = DtrainCommandLine.JsonResultOption();
        var export = new Option<DirectoryInfo?>("--export") { HelpName = "dir", Description = "When the run has ended on a checkpoint, write its final model ({run}.pt: TorchScript for a --model-file model, a state_dict otherwise; and {run}.json) into this folder before stopping the local stack." };
        var command = new Command("train", "Train: start Azurite and the worker (unless --server is given), submit the default run (Fashion-MNIST, batch-normalised CNN, 2 epochs) with your overrides, watch it, print the final test accuracy and checkpoint, and stop what was started.");
        training.AddTo(command);
        command.Options.Add(plain);
        command.Options.Add(json);
        command.Options.Add(export);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // A run started from another is built on that run's recipe (filled in once the server is up), not the default run's.
            JsonObject request = training.BuildRequest(parseResult, training.StartsFromRun(parseResult) ? null : DtrainCommandLine.DefaultRun());
            LocalFiles files = training.LocalFiles(parseResult);
            Uri? server = host.ExplicitServer(parseResult.GetValue(commandLine.ServerOption));
            bool asJson = parseResult.GetValue(json);
            return await RunAsync(host, request, server, commandLine.Key(parseResult), parseResult.GetValue(plain) || asJson, cancellationToken, asJson, parseResult.GetValue(export), files);
        });
        return command;
    }

    /// <summary>
    /// The run for the local worker to check as it starts, when everything it names is on the worker's own disk: a
    /// built-in dataset and a built-in or declarative model. Files in blob storage (users' data, TorchScript models)
    /// are left to the submission: Azurite is still starting then, and local files are not uploaded yet.
    /// </summary>
    public static string? ExpectedRun(JsonObject request, LocalFiles? files = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool namesStoredFiles = files is { Model: not null } or { Data: not null } or { Weights: not null }
            || request["data"] is JsonObject data && data.ContainsKey("source")
            || request["model"] is JsonObject model && (model.ContainsKey("file") || model.ContainsKey("initFrom"));
        return namesStoredFiles ? null : request.ToJsonString();
    }

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The local stack is disposed asynchronously in the finally block; the analyzer does not follow the nullable local there.")]
    public static async Task<int> RunAsync(
        CliHost host, JsonObject request, Uri? server, string? key, bool plain, CancellationToken cancellationToken, bool json = false, DirectoryInfo? export = null, LocalFiles? files = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        TextWriter output = host.Out;
        LocalServer? stack = null;
        try
        {
            Uri baseAddress;
            if (server is not null)
            {
                baseAddress = server;
            }
            else
            {
                // Starting and stopping the stack is not the command's output: it goes to standard error, beside progress.
                stack = await LocalServer.UseAsync(host.Error, ExpectedRun(request, files), cancellationToken);
                baseAddress = stack.Address;
                key = null;
            }

            using TrainingServerClient client = host.Client(baseAddress, key);
            if (files is not null)
            {
                await files.ApplyAsync(client, request, output, cancellationToken);
            }

            await SourceRunRecipe.ApplyAsync(client, request, cancellationToken);

            return await SubmitAndWatchAsync(host, client, output, request, stack, plain, json, export, cancellationToken);
        }
        catch (InvalidOperationException exception) when (server is null)
        {
            // The local stack did not come up; its message names the log to read.
            throw new CliException($"The local stack did not start: {exception.Message}", ExitCodes.Unreachable);
        }
        catch (FileNotFoundException exception) when (server is null)
        {
            throw new CliException(exception.Message, ExitCodes.Unreachable);
        }
        finally
        {
            if (stack is not null)
            {
                await stack.DisposeAsync();
            }
        }
    }

    private static async Task<int> SubmitAndWatchAsync(
        CliHost host, TrainingServerClient client, TextWriter output, JsonObject request, LocalServer? stack, bool plain, bool json, DirectoryInfo? export, CancellationToken cancellationToken)
    {
        // From submission, as the report and the JSON line say: starting the local stack is not the run's time.
        var wall = Stopwatch.StartNew();
        ManagementPayload payload = await client.StartAsync(request, cancellationToken);
        TimeSpan submission = wall.Elapsed;
        output.WriteLine($"Started run {payload.Id}. Status: {ServerErrors.Display(new Uri(payload.StatusQueryGetUri))}");
        if (stack is not null)
        {
            // The local stack is our worker, which serves the dashboard at its root (a Functions app serves it under /api).
            output.WriteLine($"Dashboard: {ServerErrors.Display(new Uri(stack.Address, $"dashboard/{payload.Id}"))}");
        }

        var watcher = new RunWatcher(client, TimeSpan.FromSeconds(1));
        RunSnapshot final = await watcher.WatchAsync(payload.Id, payload.StatusQueryGetUri, host.WatchView(plain), cancellationToken);
        output.WriteLine();
        RunReport.Write(output, final, wall.Elapsed, "from submission", stack is null ? null : name => $"{stack.BlobEndpoint}/checkpoints/{name}.ckpt");
        string? exportedTo = null;
        if (export is not null && final.Outcome?.FinalCheckpoint is not null)
        {
            await ExportCommand.ExportAsync(client, payload.Id, export, output, cancellationToken);
            exportedTo = export.FullName;
        }

        if (json)
        {
            output.WriteLine(RunResultLine.For(final, wall.Elapsed, exportedTo, submission));
        }

        return final.ExitCode;
    }
}
