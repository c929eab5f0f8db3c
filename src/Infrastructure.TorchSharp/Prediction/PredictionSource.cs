using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>What a plan found: the parts in input order, whether every row is labelled, the columns no part reads, and the row count.</summary>
internal sealed record PlannedParts(IReadOnlyList<PredictionPart> Parts, bool Labelled, IReadOnlyList<string> IgnoredColumns, long Rows);

/// <summary>
/// Finds and reads the rows of a prediction job in the dataset store. A table or array file is read whole and cut
/// into row ranges; a folder of images is cut into groups of images, each read on its own. At submission every file
/// is read once, a few at a time, and checked as its part will read it; a part then reads only its files, and checks
/// each against the SHA-256 pinned at submission.
/// </summary>
internal sealed class PredictionSource(IDatasetStore? store, DataFormats? formats = null)
{
    // Each file being checked is held whole with its parsed rows: a bound on memory as well as on cores.
    private const int MaxFilesCheckedAtOnce = 4;

    private readonly DataFormats _formats = formats ?? DataFormats.BuiltIn;

    public IDatasetStore Store => store ?? throw new DatasetException("This host has no dataset store: rows to predict on cannot be read here.");

    public async Task<PlannedParts> PlanAsync(DataSection data, PredictionModel model, int rowsPerPart, CancellationToken cancellationToken)
    {
        string container = data.Container ?? DataSection.DefaultContainer;
        (IDataFormat format, IReadOnlyList<DatasetFileInfo> listed) = await ListAsync(data, container, cancellationToken);
        IReadOnlyList<DatasetFileInfo>[] groups = format.ReadsFolders ? [.. listed.Chunk(rowsPerPart)] : [.. listed.Select(file => (IReadOnlyList<DatasetFileInfo>)[file])];
        CheckedGroup[] checkedGroups = await CheckAllAsync(groups, group => CheckGroupAsync(group, format, data, container, model, cancellationToken), cancellationToken);
        var parts = new List<PredictionPart>();
        var ignored = new SortedSet<string>(StringComparer.Ordinal);
        bool labelled = true;
        long rows = 0;
        foreach (CheckedGroup group in checkedGroups)
        {
            labelled &= group.Labelled;
            ignored.UnionWith(group.IgnoredColumns);
            rows += group.Rows;
            for (long first = 0; first < group.Rows; first += format.ReadsFolders ? group.Rows : rowsPerPart)
            {
                long length = format.ReadsFolders ? group.Rows : Math.Min(rowsPerPart, group.Rows - first);
                parts.Add(new PredictionPart(parts.Count, group.Files, first, length));
            }
        }

        return new PlannedParts(parts, labelled, [.. ignored], rows);
    }

    /// <summary>What checking one group of files found; its rows are dropped, so a plan holds only a few groups' rows at once.</summary>
    private sealed record CheckedGroup(IReadOnlyList<PinnedFile> Files, int Rows, bool Labelled, IReadOnlyList<string> IgnoredColumns);

    /// <summary>
    /// Checks the groups a few at once (reading, hashing and parsing a file is mostly one core's work, and a worker
    /// that plans has its other cores idle), keeping their order. A failure is the first one in input order: a group
    /// after a failed one is not read, one before it still is.
    /// </summary>
    private static async Task<CheckedGroup[]> CheckAllAsync(IReadOnlyList<DatasetFileInfo>[] groups, Func<IReadOnlyList<DatasetFileInfo>, Task<CheckedGroup>> check, CancellationToken cancellationToken)
    {
        var results = new CheckedGroup[groups.Length];
        var failures = new Exception?[groups.Length];
        int firstFailure = int.MaxValue;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, MaxFilesCheckedAtOnce), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, groups.Length), options, async (index, _) =>
        {
            if (index > Volatile.Read(ref firstFailure))
            {
                return;
            }

            try
            {
                results[index] = await check(groups[index]);
            }
            catch (Exception exception) when (exception is DataFormatException or DatasetException)
            {
                failures[index] = exception;
                int seen;
                while (index < (seen = Volatile.Read(ref firstFailure)) && Interlocked.CompareExchange(ref firstFailure, index, seen) != seen)
                {
                }
            }
        });

        if (firstFailure != int.MaxValue)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[firstFailure]!);
        }

        return results;
    }

    private async Task<CheckedGroup> CheckGroupAsync(IReadOnlyList<DatasetFileInfo> group, IDataFormat format, DataSection data, string container, PredictionModel model, CancellationToken cancellationToken)
    {
        var pinned = new List<PinnedFile>(group.Count);
        var files = new List<DataFile>(group.Count);
        foreach (DatasetFileInfo file in group)
        {
            byte[] content = await Store.ReadAsync(container, file.Path, cancellationToken)
                ?? throw new DataFormatException($"the file '{file.Path}' disappeared from {Store.LocationOf(container)} while it was read", "data.source");
            pinned.Add(new PinnedFile(file.Path, TorchSharpModelPredictor.Sha256(content)));
            files.Add(new DataFile(file.Path, content, Root(data)));
        }

        PredictionRows read = DataFormatException.Within("data.source", () => Read(format, files, data, model));
        return new CheckedGroup(pinned, read.Examples.Count, !read.Examples.Labels.IsNone, read.IgnoredColumns);
    }

    /// <summary>A part's files, read and checked against their pinned hashes, as rows of the run's model.</summary>
    public async Task<PredictionRows> ReadPartAsync(PredictPartCommand command, PredictionModel model, CancellationToken cancellationToken)
    {
        DataSection data = command.Data;
        string container = data.Container ?? DataSection.DefaultContainer;
        var files = new List<DataFile>(command.Part.Files.Count);
        foreach (PinnedFile file in command.Part.Files)
        {
            byte[] content = await Store.ReadAsync(container, file.Path, cancellationToken)
                ?? throw new DatasetException($"The data file '{file.Path}' of prediction job {command.PredictionId} is gone from {Store.LocationOf(container)}; it was there when the job was submitted.");
            string now = TorchSharpModelPredictor.Sha256(content);
            if (now != file.Sha256)
            {
                throw new DatasetException($"The data file '{file.Path}' changed under prediction job {command.PredictionId}: it now hashes to {now}, but the job was submitted with {file.Sha256}. Restore the file, or submit a new job.");
            }

            files.Add(new DataFile(file.Path, content, Root(data)));
        }

        IDataFormat format = FormatOf(data, files[0].Path);
        try
        {
            PredictionRows rows = Read(format, files, data, model);
            return rows.Examples.Count >= command.Part.FirstRow + command.Part.Rows
                ? rows
                : throw new DatasetException($"The data of prediction job {command.PredictionId} holds {rows.Examples.Count} rows, fewer than its part {command.Part.Index} reads.");
        }
        catch (DataFormatException exception)
        {
            throw new DatasetException(exception.Message);
        }
    }

    /// <summary>Rows as the model takes them: a table encoded by the run's encoding; arrays and images checked against the model's input shape.</summary>
    private static PredictionRows Read(IDataFormat format, IReadOnlyList<DataFile> files, DataSection data, PredictionModel model)
    {
        DataRead read = format.ReadForPrediction(files, data);
        PredictionRows rows;
        if (read.Table is { } table)
        {
            IRowEncoding encoding = model.Dataset.Encoding
                ?? throw new DataFormatException($"'{table.File}' is a table, but the run was trained on {Describe(model.Dataset.Shape.Input)} arrays; give rows of that shape");
            rows = encoding.EncodeForPrediction(table, model.Dataset.Task, data.IdColumn);
        }
        else
        {
            RawExamples examples = read.Examples!;
            if (data.IdColumn is not null)
            {
                throw new DataFormatException($"names an id column, but '{examples.File}' is not a table", "data.idColumn");
            }

            rows = new PredictionRows(examples, null, []);
        }

        RawExamples checkedExamples = rows.Examples;
        int[] expected = [.. model.Dataset.Shape.Input];
        if (!checkedExamples.Shape.SequenceEqual(expected))
        {
            throw new DataFormatException($"'{checkedExamples.File}' holds rows of shape {Describe(checkedExamples.Shape)} but the run's model takes {Describe(expected)}" +
                (format.ReadsImageOptions ? "; the run read its images at its data.imageSize and data.channels, and these differ" : string.Empty));
        }

        DatasetAssembler.CheckFinite(checkedExamples);
        if (checkedExamples.Labels.IsNone)
        {
            return rows;
        }

        try
        {
            // Labels the model never learnt cannot be scored: an error for a table or array, and for images a sign
            // that their folders are not classes, so they are rows without labels.
            // Beside the tensor threads, on one libtorch thread: a pool thread opens no OpenMP team of its own.
            TensorThreads.RunBeside(() =>
            {
                using var scope = global::TorchSharp.torch.NewDisposeScope();
                _ = model.Objective.TargetsAsTrained(model.Preprocessing).Encode(checkedExamples);
                return true;
            });
            return rows;
        }
        catch (DataFormatException) when (format.ReadsFolders)
        {
            return rows with { Examples = checkedExamples with { Labels = RawLabels.None } };
        }
    }

    private async Task<(IDataFormat Format, IReadOnlyList<DatasetFileInfo> Files)> ListAsync(DataSection data, string container, CancellationToken cancellationToken)
    {
        string source = data.Source!;
        IReadOnlyList<DatasetFileInfo> listed = await Store.ListAsync(container, source, cancellationToken);
        listed = source.EndsWith('/') ? listed : [.. listed.Where(file => file.Path == source)];
        IDataFormat? format = data.Format is { } name
            ? _formats.Find(name) ?? throw new DataFormatException($"'{name}' is not a data format; formats are {_formats.Names}", "data.format")
            : listed.Select(file => _formats.ForPath(file.Path)).FirstOrDefault(found => found is not null);
        if (format is null)
        {
            throw new DataFormatException(listed.Count == 0
                ? $"there is no {(source.EndsWith('/') ? "data under the folder" : "file")} '{source}' in {Store.LocationOf(container)}"
                : $"'{source}' in {Store.LocationOf(container)} holds no files of a known format ({_formats.Names})", "data.source");
        }

        listed = [.. listed.Where(file => format.Extensions.Contains(Path.GetExtension(file.Path).ToLowerInvariant()) || (!source.EndsWith('/') && data.Format is not null))];
        if (listed.Count == 0)
        {
            throw new DataFormatException($"there is no {format.Name} data under '{source}' in {Store.LocationOf(container)}", "data.source");
        }

        if (listed.Count > DatasetLimits.MaxFiles)
        {
            throw new DataFormatException($"the data has more than {DatasetLimits.MaxFiles} files", "data.source");
        }

        if (listed.FirstOrDefault(file => file.Bytes > DatasetLimits.MaxShardBytes) is { } large)
        {
            throw new DataFormatException($"the file '{large.Path}' is larger than {DatasetLimits.MaxShardBytes / (1024 * 1024)} MiB, more than one part reads at once; split it into shards", "data.source");
        }

        return (format, listed);
    }

    private IDataFormat FormatOf(DataSection data, string path) =>
        (data.Format is { } name ? _formats.Find(name) : _formats.ForPath(path)) ?? throw new DatasetException($"'{path}' is in no format this worker reads.");

    private static string Root(DataSection data) => data.Source!.EndsWith('/') ? data.Source : string.Empty;

    private static string Describe(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
}
