using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Predictions;

/// <summary>
/// The batch prediction loop: keep up to <see cref="PredictionJobInput.Parallelism"/> parts running, take each as it
/// ends (in any order), then, for labelled rows, measure the task's metrics over all parts in input order, and write
/// the manifest. An execution runs the next <see cref="PredictionJobInput.PartsPerExecution"/> parts, waits for them
/// all and continues as new with their results, so its history stays short. It awaits only its host, so a durable
/// engine can replay it; a part's output is a pure function of (job, part), so a redelivered part rewrites the same
/// bytes.
/// </summary>
public sealed class PredictionOrchestrator(IPredictionHost host)
{
    /// <summary>The job's manifest, or null when this execution handed the rest of the job to the next one.</summary>
    public async Task<PredictionManifest?> RunAsync(PredictionJobInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var results = new List<PredictionPartResult>(input.Parts.Count);
        results.AddRange(input.Done ?? []);
        int first = results.Count;
        int end = Math.Min(input.Parts.Count, first + Math.Max(1, input.PartsPerExecution));
        var window = new PredictionPartResult?[end - first];
        var running = new List<Task<PredictionPartResult>>();
        int next = first;
        int done = first;
        long rowsDone = results.Sum(result => result.Rows);
        Report(input, done, rowsDone, "predicting");
        while (done < end)
        {
            while (running.Count < Math.Max(1, input.Parallelism) && next < end)
            {
                running.Add(host.PredictPartAsync(CommandFor(input, input.Parts[next++])));
            }

            Task<PredictionPartResult> finished = await Task.WhenAny(running);
            running.Remove(finished);
            PredictionPartResult result = await finished;
            window[result.Index - first] = result;
            done++;
            rowsDone += result.Rows;
            Report(input, done, rowsDone, done < input.Parts.Count ? "predicting" : input.Labelled ? "measuring" : "writing the manifest");
        }

        results.AddRange(window.Select(result => result!));
        if (end < input.Parts.Count)
        {
            host.ContinueAsNew(input with { Done = results });
            return null;
        }

        EvaluationMetrics? metrics = input.Labelled
            ? await host.SummarizeAsync(new SummarizePredictionsCommand(input.PredictionId, input.Recipe, input.Destination, input.Parts.Count))
            : null;
        var manifest = new PredictionManifest(
            input.PredictionId.Value,
            input.Checkpoint.RunId.Value,
            input.Checkpoint.ToString(),
            SpecificationNames.Of(input.Destination.Format),
            input.Destination.Container,
            input.Destination.Folder,
            rowsDone,
            [.. results.Select(result => new PredictionManifestPart(result.Path, result.Rows, result.Sha256))],
            input.IgnoredColumns,
            metrics);
        await host.WriteManifestAsync(new WriteManifestCommand(input.Destination, manifest));
        Report(input, done, rowsDone, "done");
        return manifest;
    }

    public static PredictPartCommand CommandFor(PredictionJobInput input, PredictionPart part)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new PredictPartCommand(input.PredictionId, input.Checkpoint, input.CheckpointSha256, input.Recipe, input.Data, input.Destination, part, input.Labelled);
    }

    private void Report(PredictionJobInput input, int done, long rowsDone, string stage)
    {
        double seconds = (host.UtcNow - input.SubmittedUtc).TotalSeconds;
        host.Report(new PredictionProgress(input.Parts.Count, done, input.Rows, rowsDone, seconds > 0 ? Math.Round(rowsDone / seconds, 1) : 0, stage));
    }
}
