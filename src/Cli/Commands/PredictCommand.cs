using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.LocalStack;
using DurableTrainer.Contracts;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain predict RUN --data-file F | --data-dir D [-o FILE]</c>: uploads the rows, runs a batch prediction job
/// with the run's model, shows its progress, and writes its parts into one local file (CSV or NPY; Parquet parts go
/// into a folder, as Parquet datasets are). Without <c>--server</c> it starts the local stack on the same Azurite data
/// <c>dtrain train</c> used, so the run trained there is found.
/// </summary>
public sealed class PredictCommand(DtrainCommandLine commandLine, CliHost host)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Command Create()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        var dataFile = new Option<FileInfo?>("--data-file") { HelpName = "file", Description = "The rows to predict on: a CSV, TSV, Parquet, .npy or .npz file (a label column, when there, gives the task's metrics)." };
        var dataDirectory = new Option<DirectoryInfo?>("--data-dir") { HelpName = "dir", Description = "A folder of rows: images, or files of one format (each a part; with --sharded, shards)." };
        var sharded = new Option<bool>("--sharded") { Description = "The folder's files are shards of one dataset." };
        var output = new Option<FileInfo?>("--output", "-o") { HelpName = "file", Description = "Where to write the predictions: one file ({job}.csv by default); a folder for --format parquet." };
        var checkpoint = new Option<string>("--checkpoint") { HelpName = "which", Description = "final (the default) or best.", DefaultValueFactory = _ => "final" };
        checkpoint.AcceptOnlyFromAmong("final", "best");
        var format = new Option<string>("--format") { HelpName = "format", Description = "csv (the default), parquet or npy.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "parquet", "npy");
        var idColumn = new Option<string?>("--id-column") { HelpName = "column", Description = "A table's column that names its rows: written first in each prediction row." };
        var rowsPerPart = new Option<int?>("--rows-per-part") { HelpName = "rows", Description = "Rows per part of a large file (10000 by default)." };
        var parallelism = new Option<int?>("--parallelism") { HelpName = "parts", Description = "How many parts run at once (4 by default)." };
        var predictionId = new Option<string?>("--prediction-id") { HelpName = "id", Description = "The job's id (a run id's rules); generated when not given." };
        Option<bool> json = DtrainCommandLine.JsonResultOption();
        json.Description = "Make the last line of standard output one JSON object: job id, status, rows, parts, output file, seconds from submission, rows per second, metrics.";
        var command = new Command("predict", "Predict with a finished run's model: upload the rows, run a durable batch prediction job, and write the predictions into one local file.")
        {
            run, dataFile, dataDirectory, sharded, output, checkpoint, format, idColumn, rowsPerPart, parallelism, predictionId, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            DataUpload upload = DataUpload.For(parseResult.GetValue(dataFile), parseResult.GetValue(dataDirectory), null, null)
                ?? throw CliException.Usage("Give the rows to predict on with --data-file or --data-dir.");
            var request = new JsonObject
            {
                ["model"] = new JsonObject { ["run"] = runId, ["checkpoint"] = parseResult.GetValue(checkpoint) },
                ["data"] = new JsonObject(),
                ["output"] = new JsonObject { ["format"] = parseResult.GetValue(format) },
            };
            if (parseResult.GetValue(sharded))
            {
                request["data"]!["sharded"] = true;
            }

            Add(request["data"]!.AsObject(), "idColumn", parseResult.GetValue(idColumn));
            Add(request, "predictionId", parseResult.GetValue(predictionId));
            Add(request, "rowsPerPart", parseResult.GetValue(rowsPerPart));
            Add(request, "parallelism", parseResult.GetValue(parallelism));
            var job = new PredictionJob(request, upload, parseResult.GetValue(output), parseResult.GetValue(format)!, parseResult.GetValue(json));
            return await RunAsync(job, host.ExplicitServer(parseResult.GetValue(commandLine.ServerOption)), commandLine.Key(parseResult), cancellationToken);
        });
        return command;
    }

    private static void Add<T>(JsonObject target, string name, T? value)
    {
        if (value is not null)
        {
            target[name] = JsonValue.Create(value);
        }
    }

    private sealed record PredictionJob(JsonObject Request, DataUpload Upload, FileInfo? Output, string Format, bool Json);

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The local stack is disposed asynchronously in the finally block.")]
    private async Task<int> RunAsync(PredictionJob job, Uri? server, string? key, CancellationToken cancellationToken)
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
            await job.Upload.ApplyAsync(client, job.Request, host.Error, cancellationToken);
            return await SubmitAndWatchAsync(client, job, cancellationToken);
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

    private async Task<int> SubmitAndWatchAsync(TrainingServerClient client, PredictionJob job, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        ManagementPayload payload = await client.StartPredictionAsync(job.Request, cancellationToken);
        host.Error.WriteLine($"Started prediction job {payload.Id}.");
        PredictionStatusView status = await WatchAsync(client, payload.Id, cancellationToken);
        TimeSpan elapsed = wall.Elapsed;
        if (status.RuntimeStatus != InstanceRuntimeStatus.Completed || status.Manifest is not { } manifest)
        {
            host.Error.WriteLine($"Prediction job {payload.Id} {status.RuntimeStatus}: {status.Failure ?? "no reason given"}");
            WriteJson(job, status, null, elapsed);
            return status.RuntimeStatus == InstanceRuntimeStatus.Terminated ? ExitCodes.RunTerminated : ExitCodes.RunFailed;
        }

        string written = await DownloadAsync(client, payload.Id, manifest, job, cancellationToken);
        double rate = manifest.Rows / Math.Max(elapsed.TotalSeconds, 1e-9);
        host.Out.WriteLine($"Predicted {manifest.Rows} rows in {manifest.Parts.Count} part{(manifest.Parts.Count == 1 ? string.Empty : "s")} in {elapsed.TotalSeconds:F1} s from submission ({rate:F0} rows/s).");
        if (manifest.Metrics is { } metrics)
        {
            host.Out.WriteLine($"Metrics on the rows' labels: {string.Join(", ", metrics.Scores.Select(score => $"{score.Key} {score.Value:F4}"))}, loss {metrics.Loss:F4} ({metrics.Examples} rows).");
        }

        if (status.IgnoredColumns is { Count: > 0 } ignored)
        {
            host.Out.WriteLine($"Ignored columns the model does not read: {string.Join(", ", ignored)}.");
        }

        host.Out.WriteLine($"Wrote {written}.");
        WriteJson(job, status, written, elapsed);
        return ExitCodes.Success;
    }

    private async Task<PredictionStatusView> WatchAsync(TrainingServerClient client, string predictionId, CancellationToken cancellationToken)
    {
        string last = string.Empty;
        while (true)
        {
            PredictionStatusView status = await client.GetPredictionAsync(predictionId, cancellationToken);
            if (status.Progress is { } progress)
            {
                string line = string.Create(CultureInfo.InvariantCulture, $"[{100.0 * progress.RowsDone / Math.Max(progress.Rows, 1),5:F1}%] {progress.PartsDone}/{progress.Parts} parts, {progress.RowsDone}/{progress.Rows} rows, {progress.RowsPerSecond:F0} rows/s, {progress.Stage}");
                if (line != last)
                {
                    host.Error.WriteLine(line);
                    last = line;
                }
            }

            // A long job continues as new between windows of parts: in flight too.
            if (!status.RuntimeStatus.IsRunning())
            {
                return status;
            }

            await Task.Delay(TimeSpan.FromSeconds(0.5), cancellationToken);
        }
    }

    /// <summary>The parts, in order, as one file: CSV keeps the first header; NPY gets one header over all rows; Parquet parts go into a folder.</summary>
    private static async Task<string> DownloadAsync(TrainingServerClient client, string predictionId, PredictionManifest manifest, PredictionJob job, CancellationToken cancellationToken)
    {
        string target = job.Output?.FullName ?? Path.Combine(Directory.GetCurrentDirectory(), predictionId + (job.Format == "parquet" ? string.Empty : "." + job.Format));
        if (job.Format == "parquet")
        {
            Directory.CreateDirectory(target);
            for (int index = 0; index < manifest.Parts.Count; index++)
            {
                await File.WriteAllBytesAsync(Path.Combine(target, manifest.Parts[index].Path), await client.GetPredictionPartAsync(predictionId, index, cancellationToken), cancellationToken);
            }

            return $"{manifest.Parts.Count} Parquet part(s) into {target}";
        }

        string partial = target + ".partial";
        await using (FileStream file = File.Create(partial))
        {
            var npyParts = new List<byte[]>();
            for (int index = 0; index < manifest.Parts.Count; index++)
            {
                byte[] part = await client.GetPredictionPartAsync(predictionId, index, cancellationToken);
                if (job.Format == "npy")
                {
                    npyParts.Add(part);
                    continue;
                }

                int skip = index == 0 ? 0 : Array.IndexOf(part, (byte)'\n') + 1;
                await file.WriteAsync(part.AsMemory(skip), cancellationToken);
            }

            if (job.Format == "npy")
            {
                await file.WriteAsync(NpyParts.Concatenate(npyParts), cancellationToken);
            }
        }

        File.Move(partial, target, overwrite: true);
        return target;
    }

    private void WriteJson(PredictionJob job, PredictionStatusView status, string? written, TimeSpan elapsed)
    {
        if (!job.Json)
        {
            return;
        }

        PredictionManifest? manifest = status.Manifest;
        host.Out.WriteLine(JsonSerializer.Serialize(new
        {
            predictionId = status.PredictionId,
            status = status.RuntimeStatus.ToString(),
            failure = status.Failure,
            rows = manifest?.Rows,
            parts = manifest?.Parts.Count,
            output = written,
            wallSeconds = Math.Round(elapsed.TotalSeconds, 3),
            rowsPerSecond = manifest is null ? (double?)null : Math.Round(manifest.Rows / Math.Max(elapsed.TotalSeconds, 1e-9), 1),
            metrics = manifest?.Metrics?.Scores,
        }, Json));
    }
}

/// <summary>NumPy files of the same dtype and trailing shape, joined along the first axis into one.</summary>
public static class NpyParts
{
    public static byte[] Concatenate(IReadOnlyList<byte[]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var headers = parts.Select(Header).ToArray();
        long rows = headers.Sum(header => header.Shape[0]);
        string trailing = string.Concat(headers[0].Shape.Skip(1).Select(size => $", {size}"));
        string shape = headers[0].Shape.Length == 1 ? $"({rows},)" : $"({rows}{trailing})";
        string text = $"{{'descr': '{headers[0].Descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int padding = (64 - ((10 + text.Length + 1) % 64)) % 64;
        text += new string(' ', padding) + "\n";
        using var file = new MemoryStream();
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        file.Write(BitConverter.GetBytes((ushort)text.Length));
        file.Write(Encoding.ASCII.GetBytes(text));
        for (int p = 0; p < parts.Count; p++)
        {
            file.Write(parts[p].AsSpan(headers[p].DataOffset));
        }

        return file.ToArray();
    }

    private static (string Descr, long[] Shape, int DataOffset) Header(byte[] part)
    {
        int length = BitConverter.ToUInt16(part, 8);
        string header = Encoding.ASCII.GetString(part, 10, length);
        string descr = header.Split("'descr': '")[1].Split('\'')[0];
        string dims = header.Split("'shape': (")[1].Split(')')[0];
        long[] shape = [.. dims.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(value => long.Parse(value, CultureInfo.InvariantCulture))];
        return (descr, shape, 10 + length);
    }
}
