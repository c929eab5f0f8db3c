using System.CommandLine;
using DurableTrainer.Cli.Client;
using DurableTrainer.Contracts;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain export RUN [-o DIR] [--format F]</c>: the final model and its model spec (<c>{runId}.json</c>), from
/// <c>GET /api/training/{runId}/model</c> and <c>.../model/spec</c>. The model is <c>{runId}.pt</c>: by default the
/// trained TorchScript module for a model trained from a TorchScript file, and a PyTorch state_dict otherwise;
/// <c>--format safetensors</c> writes <c>{runId}.safetensors</c>, <c>--format onnx</c> <c>{runId}.onnx</c>.
/// </summary>
public sealed class ExportCommand(DtrainCommandLine commandLine, CliHost host)
{
    public Command Create()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        var output = new Option<DirectoryInfo>("--output", "-o")
        {
            Description = "The folder to write {run}.pt and {run}.json into (created if missing); the current folder by default.",
            HelpName = "dir",
            DefaultValueFactory = _ => new DirectoryInfo(Directory.GetCurrentDirectory()),
        };
        var format = new Option<string?>("--format") { HelpName = "format", Description = "torchscript (the default for a TorchScript model), pytorch (a state_dict; the default otherwise), safetensors or onnx (built-in and declarative models)." };
        format.AcceptOnlyFromAmong([.. ApiLimits.ExportFormats.Keys]);
        var command = new Command("export", "Download a finished run's final model: {run}.pt (TorchScript for a TorchScript model, a PyTorch state_dict otherwise) and {run}.json (model spec).") { run, output, format };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            DirectoryInfo directory = parseResult.GetValue(output)!;
            return await commandLine.WithServerAsync(parseResult, async client =>
            {
                await ExportAsync(client, runId, directory, host.Out, cancellationToken, parseResult.GetValue(format));
                return ExitCodes.Success;
            }, cancellationToken);
        });
        return command;
    }

    /// <summary>Writes <c>{runId}.pt</c> (or <c>.safetensors</c>) and <c>{runId}.json</c> into <paramref name="directory"/>, and says so.</summary>
    /// <param name="format">A format the export route accepts (pytorch, safetensors, torchscript, onnx); null for the server's default for the model.</param>
    public static async Task ExportAsync(TrainingServerClient client, string runId, DirectoryInfo directory, TextWriter output, CancellationToken cancellationToken, string? format = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(output);
        string query = format is null ? "model" : $"model?format={Uri.EscapeDataString(format)}";
        byte[] model = await client.GetRunResourceAsync(runId, query, "final model", cancellationToken)
            ?? throw MissingRoute(client, runId, "model");
        byte[] spec = await client.GetRunResourceAsync(runId, "model/spec", "model spec", cancellationToken)
            ?? throw MissingRoute(client, runId, "model/spec");
        Directory.CreateDirectory(directory.FullName);
        string extension = format?.ToLowerInvariant() switch { "safetensors" => ".safetensors", "onnx" => ".onnx", _ => ".pt" };
        string modelPath = Path.Combine(directory.FullName, runId + extension);
        string specPath = Path.Combine(directory.FullName, runId + ".json");
        await WriteWholeAsync(modelPath, model, cancellationToken);
        await WriteWholeAsync(specPath, spec, cancellationToken);
        output.WriteLine($"Wrote {modelPath} ({model.Length} bytes) and {specPath}.");
    }

    private static CliException MissingRoute(TrainingServerClient client, string runId, string path) => new(
        $"The server at {ServerErrors.Display(client.Server)} has no model export route (GET /api/training/{runId}/{path}); it needs a worker with model export.",
        ExitCodes.NotFound);

    /// <summary>Writes beside the target and renames, so a half-written model never carries the final name.</summary>
    private static async Task WriteWholeAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        string partial = path + ".partial";
        await File.WriteAllBytesAsync(partial, content, cancellationToken);
        File.Move(partial, path, overwrite: true);
    }
}
