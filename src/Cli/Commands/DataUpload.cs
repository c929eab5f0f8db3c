using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Ports;
using DurableTrainer.Cli.Client;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// Local data for <c>--data-file</c>, <c>--data-dir</c>, <c>--test-file</c> and <c>--validation-file</c>: uploaded to the
/// server's <c>datasets</c> container before the run is submitted, each part under <c>uploads/{digest}/</c> (a prefix of
/// its content's SHA-256, so uploading the same data again writes the same blobs), and named in the request's data
/// section. The server then checks the data and pins it.
/// </summary>
public sealed class DataUpload
{
    private const string UploadFolder = "uploads";

    private readonly List<(string Field, FileSystemInfo Source, IReadOnlyList<(FileInfo File, string RelativePath)> Files)> _parts = [];

    private DataUpload()
    {
    }

    /// <summary>Checks what can be checked here (the files exist, their names can be blob paths, their sizes); null when no data option is given.</summary>
    public static DataUpload? For(FileInfo? dataFile, DirectoryInfo? dataDirectory, FileInfo? testFile, FileInfo? validationFile)
    {
        if (dataFile is null && dataDirectory is null)
        {
            return testFile is null && validationFile is null
                ? null
                : throw CliException.Usage("--test-file and --validation-file go with --data-file or --data-dir, which give the training data.");
        }

        if (dataFile is not null && dataDirectory is not null)
        {
            throw CliException.Usage("Give the training data with either --data-file or --data-dir, not both.");
        }

        var upload = new DataUpload();
        if (dataFile is not null)
        {
            upload.AddFile("source", "--data-file", dataFile);
        }
        else
        {
            upload.AddDirectory("source", "--data-dir", dataDirectory!);
        }

        if (testFile is not null)
        {
            upload.AddFileOrDirectory("test", "--test-file", testFile);
        }

        if (validationFile is not null)
        {
            upload.AddFileOrDirectory("validation", "--validation-file", validationFile);
        }

        return upload;
    }

    /// <summary>Uploads every part and names it in the request's data section, replacing a built-in dataset.</summary>
    public async Task ApplyAsync(TrainingServerClient client, JsonObject request, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        if (request["data"] is not JsonObject data)
        {
            data = [];
            request["data"] = data;
        }

        data.Remove("dataset");
        foreach ((string field, FileSystemInfo source, IReadOnlyList<(FileInfo File, string RelativePath)> files) in _parts)
        {
            // One file in memory at a time, so a folder of shards larger than this machine's memory uploads too:
            // hash every file for the folder's name, then read and upload them one by one.
            var hashes = new List<(string RelativePath, string Sha256)>();
            foreach ((FileInfo file, string relativePath) in files)
            {
                await using FileStream stream = file.OpenRead();
                hashes.Add((relativePath, Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken))));
            }

            string folder = $"{UploadFolder}/{Digest(hashes)[..16]}/";
            long bytes = 0;
            foreach ((FileInfo file, string relativePath) in files)
            {
                byte[] content = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
                bytes += (await client.UploadDatasetFileAsync(folder + relativePath, content, cancellationToken)).Bytes;
            }

            data[field] = source is DirectoryInfo ? folder : folder + files[0].RelativePath;
            output.WriteLine($"Uploaded {source.Name} ({files.Count} file{(files.Count == 1 ? string.Empty : "s")}, {bytes} bytes) to datasets/{data[field]}.");
        }
    }

    private static string Digest(IEnumerable<(string RelativePath, string Sha256)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string relativePath, string sha256) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relativePath + "\n" + sha256 + "\n"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A test or validation part may be a folder, as the training data may: an image folder's test/ beside its train/.</summary>
    private void AddFileOrDirectory(string field, string option, FileInfo path)
    {
        if (!path.Exists && Directory.Exists(path.FullName))
        {
            AddDirectory(field, option, new DirectoryInfo(path.FullName));
        }
        else
        {
            AddFile(field, option, path);
        }
    }

    private void AddFile(string field, string option, FileInfo file)
    {
        if (!file.Exists)
        {
            throw CliException.Usage($"{option} '{file.FullName}' does not exist.");
        }

        Check(option, file, file.Name);
        _parts.Add((field, file, [(file, file.Name)]));
    }

    private void AddDirectory(string field, string option, DirectoryInfo directory)
    {
        if (!directory.Exists)
        {
            throw CliException.Usage($"{option} '{directory.FullName}' does not exist.");
        }

        var files = directory.EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(file => !file.Name.StartsWith('.'))
            .Select(file => (file, Path.GetRelativePath(directory.FullName, file.FullName).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(entry => entry.Item2, StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            throw CliException.Usage($"{option} '{directory.FullName}' holds no files.");
        }

        if (files.Length > DatasetLimits.MaxFiles)
        {
            throw CliException.Usage($"{option} '{directory.FullName}' holds {files.Length} files; at most {DatasetLimits.MaxFiles} can be uploaded. Copy larger data into the datasets container with a blob tool.");
        }

        foreach ((FileInfo file, string relativePath) in files)
        {
            Check(option, file, relativePath);
        }

        _parts.Add((field, directory, files));
    }

    private static void Check(string option, FileInfo file, string relativePath)
    {
        if (!DataSection.IsValidPath($"{UploadFolder}/0000000000000000/{relativePath}"))
        {
            throw CliException.Usage($"{option}: '{relativePath}' cannot be a blob path: a path {DataSection.PathRule}. Rename it.");
        }

        if (file.Length > DatasetLimits.MaxUploadBytes)
        {
            throw CliException.Usage($"{option}: '{relativePath}' is {file.Length} bytes; {DatasetLimits.UploadRule}. Copy larger files into the datasets container with a blob tool and name them with --source.");
        }
    }
}

/// <summary>The local files a request names (a TorchScript model, weights to start from, training data), uploaded before it is submitted.</summary>
public sealed record LocalFiles(ModelFileUpload? Model, DataUpload? Data, ModelFileUpload? Weights = null)
{
    public async Task ApplyAsync(TrainingServerClient client, JsonObject request, TextWriter output, CancellationToken cancellationToken)
    {
        if (Model is not null)
        {
            await Model.ApplyAsync(client, request, output, cancellationToken);
        }

        if (Weights is not null)
        {
            await Weights.ApplyAsync(client, request, output, cancellationToken);
        }

        if (Data is not null)
        {
            await Data.ApplyAsync(client, request, output, cancellationToken);
        }
    }
}
