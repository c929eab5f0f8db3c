using System.Text.Json.Nodes;
using DurableTrainer.Application.Ports;
using DurableTrainer.Cli.Client;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// A local TorchScript file for <c>--model-file</c>: uploaded to the server's model store under its own name
/// before the run is submitted, and pinned in the request by the SHA-256 the server answers with, so the run trains
/// exactly the bytes that were sent.
/// </summary>
public sealed record ModelFileUpload(FileInfo File, string Name)
{
    /// <summary>Checks what can be checked here (the file exists, its name is a plain name, its size), so a mistake costs no start-up.</summary>
    public static ModelFileUpload For(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Exists)
        {
            throw CliException.Usage($"--model-file '{file.FullName}' does not exist. Save your model with torch.jit.script(model).save(\"net.pt\") and pass that file.");
        }

        if (!ModelSection.IsValidFileName(file.Name))
        {
            throw CliException.Usage($"--model-file '{file.Name}': the file's name becomes its name in the model store, and it {ModelSection.FileNameRule}. Rename the file.");
        }

        if (file.Length > ModelFileLimits.MaxBytes)
        {
            throw CliException.Usage($"--model-file '{file.Name}' is {file.Length} bytes; a model file {ModelFileLimits.Rule}.");
        }

        return new ModelFileUpload(file, file.Name);
    }

    /// <summary>Uploads the file and pins the request's model to what was stored.</summary>
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

        model["file"] = stored.Name;
        model["sha256"] = stored.Sha256;
        output.WriteLine($"Uploaded {File.Name} ({stored.Bytes} bytes, SHA-256 {stored.Sha256[..12]}...) to the model store.");
    }
}
