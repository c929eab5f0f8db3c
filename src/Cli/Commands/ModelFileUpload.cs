using System.Text.Json.Nodes;
using DurableTrainer.Application.Ports;
using DurableTrainer.Cli.Client;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// A local file for the model store: a TorchScript file to train (<c>--model-file</c>), or weights to start from
/// (<c>--init-from-file</c>). It is uploaded under its own name before the run is submitted, and pinned in the
/// request by the SHA-256 the server answers with, so the run uses exactly the bytes that were sent.
/// </summary>
public sealed record ModelFileUpload(FileInfo File, string Name, bool IsInitialWeights = false)
{
    /// <summary>Checks what can be checked here (the file exists, its name is a plain name, its size), so a mistake costs no start-up.</summary>
    public static ModelFileUpload For(FileInfo file, bool initialWeights = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        string option = initialWeights ? "--init-from-file" : "--model-file";
        if (!file.Exists)
        {
            throw CliException.Usage(initialWeights
                ? $"{option} '{file.FullName}' does not exist. Save weights with torch.save(model.state_dict(), \"weights.pt\") (or as .safetensors) and pass that file."
                : $"{option} '{file.FullName}' does not exist. Save your model with torch.jit.script(model).save(\"net.pt\") and pass that file.");
        }

        if (!ModelSection.IsValidFileName(file.Name))
        {
            throw CliException.Usage($"{option} '{file.Name}': the file's name becomes its name in the model store, and it {ModelSection.FileNameRule}. Rename the file.");
        }

        if (file.Length > ModelFileLimits.MaxBytes)
        {
            throw CliException.Usage($"{option} '{file.Name}' is {file.Length} bytes; a model file {ModelFileLimits.Rule}.");
        }

        return new ModelFileUpload(file, file.Name, initialWeights);
    }

    /// <summary>Uploads the file and pins the request's model (or the weights it starts from) to what was stored.</summary>
    public async Task ApplyAsync(TrainingServerClient client, JsonObject request, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        byte[] content = await System.IO.File.ReadAllBytesAsync(File.FullName, cancellationToken);
        StoredModelFile stored = await client.UploadModelFileAsync(Name, content, cancellationToken);
        // Into the model section the options built, so that anything else given with it still reaches the server's checks.
        if (request["model"] is not JsonObject model)
        {
            model = [];
            request["model"] = model;
        }

        // Weights go under initFrom, beside whatever else it says (reinitialize, strict).
        JsonObject target = model;
        if (IsInitialWeights)
        {
            target = model["initFrom"] as JsonObject ?? [];
            model["initFrom"] = target;
        }

        target["file"] = stored.Name;
        target["sha256"] = stored.Sha256;
        output.WriteLine($"Uploaded {File.Name} ({stored.Bytes} bytes, SHA-256 {stored.Sha256[..12]}...) to the model store.");
    }
}
