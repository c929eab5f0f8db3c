using System.CommandLine;
using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.Plotting;
using DurableTrainer.Contracts;
using RunMetrics = DurableTrainer.Cli.Plotting.RunMetrics;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain plot RUN -o file.png</c>: loss and accuracy curves from <c>GET /api/training/{runId}/metrics</c>. A server
/// without that route still gets a plot of the evaluations its summary holds, with a note saying so.
/// </summary>
internal sealed class PlotCommand(DtrainCommandLine commandLine, CliHost host)
{
    public Command Create()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        ImageOptions image = ImageOptions.Create();
        var fromFile = new Option<FileInfo?>("--metrics-file") { Description = "Plot a saved metrics JSON file (the route's answer) instead of asking the server.", HelpName = "file.json" };
        var command = new Command("plot", "Write a PNG of a run's training loss (per step and chunk means) and validation score (evaluations).") { run, fromFile };
        foreach (Option option in image.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            (FileInfo target, int w, int h) = image.Read(parseResult);
            if (parseResult.GetValue(fromFile) is { } file)
            {
                return Save(ParseFile(file, runId), target, w, h);
            }

            return await commandLine.WithServerAsync(parseResult, async client => Save(await FetchAsync(client, runId, cancellationToken), target, w, h), cancellationToken);
        });
        return command;
    }

    private int Save(RunMetrics metrics, FileInfo target, int width, int height)
    {
        TrainingPlot.SavePng(metrics, target.FullName, width, height);
        host.Out.WriteLine($"Wrote {target.FullName}: {metrics.StepLosses.Count} step losses, {metrics.ChunkLosses.Count} chunk means, {metrics.Evaluations.Count} evaluations.");
        return ExitCodes.Success;
    }

    private async Task<RunMetrics> FetchAsync(TrainingServerClient client, string runId, CancellationToken cancellationToken)
    {
        byte[]? body = await client.GetRunResourceAsync(runId, "metrics", "metrics", cancellationToken);
        if (body is not null)
        {
            try
            {
                return RunMetrics.Parse(Encoding.UTF8.GetString(body), runId);
            }
            catch (JsonException)
            {
                throw new CliException($"The server at {ServerErrors.Display(client.Server)} sent metrics for '{runId}' that are not the expected JSON.", ExitCodes.Unreachable);
            }
        }

        RunSummary summary = await client.GetSummaryAsync(runId, cancellationToken);
        EvaluationSummary[] evaluations = new[] { summary.LastEvaluation, summary.BestEvaluation }
            .OfType<EvaluationSummary>().DistinctBy(e => e.Step).OrderBy(e => e.Step).ToArray();
        string missing = $"The server at {ServerErrors.Display(client.Server)} has no metrics route (GET /api/training/{runId}/metrics; newer workers have it)";
        if (evaluations.Length == 0)
        {
            throw new CliException($"{missing}, and the run's summary holds no evaluation yet: nothing to plot. Try again once the run has evaluated, or upgrade the server.", ExitCodes.NotFound);
        }

        host.Error.WriteLine($"{missing}, so the plot shows only the {evaluations.Length} evaluation(s) in the run's summary.");
        return new RunMetrics(runId, [], [], evaluations.Select(e => new EvaluationPoint(e.Step, e.Loss, e.Headline()?.Value ?? double.NaN, e.Headline()?.Name)).ToArray(), []);
    }

    private static RunMetrics ParseFile(FileInfo file, string runId)
    {
        if (!file.Exists)
        {
            throw CliException.Usage($"The metrics file '{file.FullName}' does not exist.");
        }

        try
        {
            return RunMetrics.Parse(File.ReadAllText(file.FullName), runId);
        }
        catch (JsonException exception)
        {
            throw CliException.Usage($"The metrics file '{file.FullName}' is not metrics JSON ({exception.Message}).");
        }
    }
}
