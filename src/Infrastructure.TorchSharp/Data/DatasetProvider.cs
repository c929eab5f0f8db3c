using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.Data.Shards;
using DurableTrainer.Infrastructure.TorchSharp.Data.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Loads each dataset version once per process and shares it between chunks (reading and decoding takes seconds,
/// far too long to repeat per chunk), and checks data sections at submission.
/// <list type="bullet">
/// <item>Built-ins come from disk (Fashion-MNIST's IDX files) or are generated (synthetic).</item>
/// <item>Users' data comes from the dataset store: a file, or every file of the format under a folder.</item>
/// <item>Pinning: a version is the SHA-256 over its files' paths and contents. Submission records it in
/// <c>data.sha256</c>; every later read recomputes it, and a difference fails the run, naming what changed (the run
/// never trains on data other than what it was checked against).</item>
/// <item>Sharded data (<c>data.sharded</c>) is surveyed, not held: see <see cref="ShardedDatasetReader"/>. Its shards
/// live in one bounded <see cref="ShardCache"/> per process.</item>
/// </list>
/// </summary>
public sealed class DatasetProvider(TorchSharpExecutorOptions options, IDatasetStore? store = null, DataFormats? formats = null, ILogger? logger = null) : IDatasetCatalog, IDisposable
{
    private static readonly JsonSerializerOptions KeyJson = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, Lazy<LoadedDataset>> _datasets = new();

    // What a listing's signature (paths, sizes, versions) hashed to when its files were last read: an unchanged
    // listing needs no download to be verified, so chunks of a cached dataset cost one listing call, not a re-read.
    private readonly ConcurrentDictionary<string, string> _digestsBySignature = new(StringComparer.Ordinal);
    private readonly DataFormats _formats = formats ?? DataFormats.BuiltIn;
    private readonly ShardCache _shards = new(options.ShardsInMemory);

    /// <summary>Shards of sharded datasets this process holds decoded now (for logs and tests).</summary>
    public int ShardsHeld => _shards.Count;

    /// <summary>The dataset a (validated) data section names, loaded once per version and process.</summary>
    public async Task<LoadedDataset> GetAsync(DataSection data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataSection resolved = data.Resolved();
        if (resolved.IsBuiltIn())
        {
            return Cached(KeyOf(resolved, "built-in"), () => LoadBuiltIn(resolved));
        }

        if (resolved.Sha256 is null)
        {
            throw new DatasetException($"The run's data '{resolved.Source}' was never pinned by its SHA-256; runs are checked at submission, so it was started around the API.");
        }

        SourceFiles files;
        try
        {
            SourceListing listing = await ListAsync(resolved, cancellationToken);
            if (resolved.Sharded)
            {
                LoadedDataset sharded = await ShardedAsync(resolved, listing, cancellationToken);
                return sharded.Digest == resolved.Sha256
                    ? sharded
                    : throw new DatasetException(
                        $"The data of the run changed after submission: the shards in '{resolved.Source}' in {Location(resolved)} now hash to {sharded.Digest}, " +
                        $"but the run was submitted with {resolved.Sha256}. Restore the files, or submit a new run.");
            }

            if (Known(resolved, listing) is { } known && known.Digest == resolved.Sha256)
            {
                return known;
            }

            files = await ReadAsync(listing, cancellationToken);
            _digestsBySignature[listing.Signature] = files.Digest;
        }
        catch (DataFormatException exception)
        {
            throw new DatasetException($"The run's data can no longer be read: {exception.Message}");
        }

        if (files.Digest != resolved.Sha256)
        {
            throw new DatasetException(
                $"The data of the run changed after submission: {files.Describe()} in {Location(resolved)} now hash to {files.Digest}, " +
                $"but the run was submitted with {resolved.Sha256}. Restore the files, or submit a new run.");
        }

        try
        {
            return Cached(KeyOf(resolved, files.Digest), () => Parse(resolved, files));
        }
        catch (DataFormatException exception)
        {
            throw new DatasetException(exception.Message);
        }
    }

    public async Task<DatasetCheck> CheckAsync(DataSection data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataSection resolved = data.Resolved();
        try
        {
            if (resolved.IsBuiltIn())
            {
                if (resolved.ResolvedTask() != LearningTask.Classification)
                {
                    return DatasetCheck.Failed(new ValidationError("data.task", $"must be classification for the built-in dataset {SpecificationNames.Of(resolved.Dataset!.Value)} (it has 10 classes)"));
                }

                LoadedDataset builtIn = await GetAsync(resolved, cancellationToken);
                return ImageAugmentation.ProblemWith(resolved, builtIn.Shape) is { } builtInProblem
                    ? DatasetCheck.Failed(new ValidationError("data.cropPadding", builtInProblem))
                    : new DatasetCheck(resolved, builtIn.Shape, [], builtIn.Train.Count);
            }

            if (store is null)
            {
                return DatasetCheck.Failed(new ValidationError("data.source", "cannot be read: this host has no dataset store"));
            }

            SourceListing listing = await ListAsync(resolved, cancellationToken);
            if (resolved.Sharded)
            {
                LoadedDataset sharded = await ShardedAsync(resolved, listing, cancellationToken);
                return resolved.Sha256 is { } pinnedShards && pinnedShards != sharded.Digest
                    ? DatasetCheck.Failed(new ValidationError("data.sha256", $"does not match the data: the shards in '{resolved.Source}' hash to {sharded.Digest}"))
                    : Answer(resolved with { Sha256 = sharded.Digest }, sharded);
            }

            if (Known(resolved, listing) is { } known && (resolved.Sha256 is null || resolved.Sha256 == known.Digest))
            {
                // Checked before, unchanged since: the same answer without reading the files again.
                return Answer(resolved with { Sha256 = known.Digest }, known);
            }

            SourceFiles files = await ReadAsync(listing, cancellationToken);
            _digestsBySignature[listing.Signature] = files.Digest;
            if (resolved.Sha256 is { } pinned && pinned != files.Digest)
            {
                return DatasetCheck.Failed(new ValidationError("data.sha256", $"does not match the data: {files.Describe()} hash to {files.Digest}"));
            }

            DataSection pinnedData = resolved with { Sha256 = files.Digest };
            return Answer(pinnedData, Cached(KeyOf(pinnedData, files.Digest), () => Parse(pinnedData, files)));
        }
        catch (DataFormatException exception)
        {
            return DatasetCheck.Failed(new ValidationError(exception.Field ?? "data.source", exception.Message));
        }
        catch (DatasetUnavailableException exception)
        {
            return DatasetCheck.Failed(new ValidationError("data.dataset", exception.Message));
        }
    }

    private static DatasetCheck Answer(DataSection pinned, LoadedDataset dataset) =>
        ImageAugmentation.ProblemWith(pinned, dataset.Shape) is { } problem
            ? DatasetCheck.Failed(new ValidationError(pinned.CropPadding > 0 ? "data.cropPadding" : "data.horizontalFlip", problem))
            : new DatasetCheck(pinned, dataset.Shape, [], dataset.Train.Count);

    public void Dispose()
    {
        foreach (Lazy<LoadedDataset> dataset in _datasets.Values)
        {
            if (dataset.IsValueCreated)
            {
                dataset.Value.Dispose();
            }
        }

        _shards.Dispose();
    }

    /// <summary>The dataset this process loaded (or surveyed) from exactly this listing, if any: an unchanged listing needs no re-read.</summary>
    private LoadedDataset? Known(DataSection data, SourceListing listing) =>
        _digestsBySignature.TryGetValue(listing.Signature, out string? digest)
        && _datasets.TryGetValue(KeyOf(data, digest), out Lazy<LoadedDataset>? known) && known.IsValueCreated
            ? known.Value
            : null;

    /// <summary>A sharded dataset: the one surveyed before when its listing is unchanged, else a new survey of every shard.</summary>
    private async Task<LoadedDataset> ShardedAsync(DataSection data, SourceListing listing, CancellationToken cancellationToken)
    {
        if (Known(data, listing) is { } surveyed)
        {
            return surveyed;
        }

        var reader = new ShardedDatasetReader(store!, listing.Container, listing.Format, data, _shards, logger ?? NullLogger.Instance);
        LoadedDataset dataset = await reader.SurveyAsync(
            listing.Parts.Select(part => new ShardedDatasetReader.Part(part.Name, part.Field, part.Files)).ToArray(),
            digest => KeyOf(data, digest), cancellationToken);
        _digestsBySignature[listing.Signature] = dataset.Digest;
        return Cached(KeyOf(data, dataset.Digest), () => dataset);
    }

    // Loading builds and normalises tensors: on a tensor thread, so that no other thread starts an OpenMP team.
    private LoadedDataset Cached(string key, Func<LoadedDataset> load)
    {
        Lazy<LoadedDataset> lazy = _datasets.GetOrAdd(key, _ => new Lazy<LoadedDataset>(() => LoadThenFreeTheCopies(load, logger), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load is not cached: the next call reads again (the files may have been fixed).
            _datasets.TryRemove(new KeyValuePair<string, Lazy<LoadedDataset>>(key, lazy));
            throw;
        }
    }

    private static LoadedDataset LoadThenFreeTheCopies(Func<LoadedDataset> load, ILogger? logger)
    {
        long started = Stopwatch.GetTimestamp();
        LoadedDataset dataset = TensorThreads.Run(load);
        TimeSpan loading = Stopwatch.GetElapsedTime(started);
        // Readers decode files into managed arrays that are then copied into native tensors (for Fashion-MNIST 275 MB
        // of bytes and floats). Under the hosts' server GC that garbage stays committed until a full collection,
        // which a training process, allocating little afterwards, seldom makes: one compacting collection per
        // dataset load gives it back.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        logger?.LogInformation(
            "Loaded dataset {Dataset}: {Train} training, {Validation} validation and {Test} test examples in {Seconds:F2} s, then {CollectSeconds:F2} s to free the readers' copies.",
            dataset.Name, dataset.Train.Count, dataset.Validation.Count, dataset.Test.Count, loading.TotalSeconds, (Stopwatch.GetElapsedTime(started) - loading).TotalSeconds);
        return dataset;
    }

    // Augmentation happens per batch while training; the same data loaded with and without it is one dataset.
    private static string KeyOf(DataSection data, string version) =>
        JsonSerializer.Serialize(data with { Sha256 = null, CropPadding = 0, HorizontalFlip = false }, KeyJson) + "|" + version;

    private LoadedDataset LoadBuiltIn(DataSection data)
    {
        (RawExamples train, RawExamples test) = data.Dataset switch
        {
            DatasetKind.FashionMnist => FashionMnistLoader.Load(options.ResolveDataDirectory()),
            DatasetKind.Synthetic => SyntheticDataset.Create(options.SyntheticTrainExamples, options.SyntheticTestExamples),
            _ => throw new ArgumentOutOfRangeException(nameof(data), data.Dataset, "Unknown dataset."),
        };
        string name = SpecificationNames.Of(data.Dataset!.Value);
        return DatasetAssembler.Assemble(name, name, data, train, test, validation: null);
    }

    private string Location(DataSection data) => store?.LocationOf(data.Container ?? DataSection.DefaultContainer) ?? "the dataset store";

    private IDataFormat FormatOf(DataSection data, string path, string field)
    {
        if (data.Format is { } name)
        {
            return _formats.Find(name) ?? throw new DataFormatException($"'{name}' is not a data format; formats are {_formats.Names}", "data.format");
        }

        return _formats.ForPath(path)
            ?? throw new DataFormatException($"'{path}' has no extension of a known format ({_formats.Names}); name the format with data.format", field);
    }

    /// <summary>
    /// Lists every file the section names (one listing call per part), without reading them. The listing's
    /// signature (paths, sizes, versions) tells a later call that nothing has changed since the files were read.
    /// </summary>
    private async Task<SourceListing> ListAsync(DataSection data, CancellationToken cancellationToken)
    {
        IDatasetStore files = store ?? throw new DatasetException("This host has no dataset store: users' data cannot be read here.");
        var listing = new ListingInProgress(files, data.Container ?? DataSection.DefaultContainer, data);
        IDataFormat? format = data.Source!.EndsWith('/') && data.Format is null ? null : FormatOf(data, data.Source!, "data.source");
        ListedPart source = await PartAsync(listing, "source", data.Source!, "data.source", format, cancellationToken);
        format ??= _formats.ForPath(source.Files[0].Path)!;
        if (data.Sharded && format.ReadsFolders)
        {
            throw new DataFormatException($"applies to folders of {_formats.ShardableNames} files, each one shard; {format.Name} are read whole", "data.sharded");
        }

        if (NumPyFormat.LabelFileOf(data.Source!, data) is { } labelFile)
        {
            if (data.Source!.EndsWith('/'))
            {
                throw new DataFormatException("names a labels .npy, which goes with a single .npy file; in a folder each file holds its own labels: use .npz files, or a label column index of 2-D .npy files", "data.label");
            }

            await PartAsync(listing, "source", labelFile, "data.label", format, cancellationToken);
        }

        if (data.Test is not null)
        {
            await PartAsync(listing, "test", data.Test, "data.test", format, cancellationToken);
        }

        if (data.Validation is not null)
        {
            await PartAsync(listing, "validation", data.Validation, "data.validation", format, cancellationToken);
        }

        if (!format.ReadsImageOptions && (data.ImageSize is not null || data.Channels is not null))
        {
            throw new DataFormatException($"applies to image folders only; this data is {format.Name}", data.ImageSize is not null ? "data.imageSize" : "data.channels");
        }

        string signature = listing.Container + "\n" + string.Join("\n", listing.Parts.SelectMany(part => part.Files).Select(file => $"{file.Path}\t{file.Bytes}\t{file.Version}"));
        return new SourceListing(listing.Container, format, listing.Parts, signature);
    }

    /// <summary>Lists one part of the section (a file, or a folder's files of its format), counts it against the limits and adds it to the listing.</summary>
    private async Task<ListedPart> PartAsync(ListingInProgress listing, string name, string path, string field, IDataFormat? format, CancellationToken cancellationToken)
    {
        IReadOnlyList<DatasetFileInfo> listed = await FilesOfPartAsync(listing, path, field, format, cancellationToken);
        CountAgainstLimits(listing, listed, field);
        var part = new ListedPart(name, field, path.EndsWith('/') ? path : string.Empty, listed);
        listing.Parts.Add(part);
        return part;
    }

    /// <summary>The files a part's path names: the file itself, or a folder's files of the part's format (found from the files when not given).</summary>
    private async Task<IReadOnlyList<DatasetFileInfo>> FilesOfPartAsync(ListingInProgress listing, string path, string field, IDataFormat? format, CancellationToken cancellationToken)
    {
        DataSection data = listing.Data;
        IReadOnlyList<DatasetFileInfo> listed = await listing.Files.ListAsync(listing.Container, path, cancellationToken);
        if (path.EndsWith('/'))
        {
            format ??= data.Format is null ? listed.Select(file => _formats.ForPath(file.Path)).FirstOrDefault(found => found is not null) : FormatOf(data, path, field);
            if (format is null)
            {
                throw new DataFormatException($"the folder '{path}' in {listing.Files.LocationOf(listing.Container)} holds no files of a known format ({_formats.Names})", field);
            }

            listed = format.ReadsFolders ? listed : listed.Where(file => format.Extensions.Contains(Path.GetExtension(file.Path).ToLowerInvariant())).ToArray();
        }
        else
        {
            listed = listed.Where(file => file.Path == path).ToArray();
        }

        if (listed.Count == 0)
        {
            throw new DataFormatException($"there is no {(path.EndsWith('/') ? "data under the folder" : "file")} '{path}' in {listing.Files.LocationOf(listing.Container)}", field);
        }

        return listed;
    }

    private static void CountAgainstLimits(ListingInProgress listing, IReadOnlyList<DatasetFileInfo> listed, string field)
    {
        DataSection data = listing.Data;
        listing.Count += listed.Count;
        listing.Bytes += listed.Sum(file => file.Bytes);
        if (listing.Count > DatasetLimits.MaxFiles)
        {
            throw new DataFormatException($"the data has more than {DatasetLimits.MaxFiles} files", field);
        }

        if (data.Sharded && listed.FirstOrDefault(file => file.Bytes > DatasetLimits.MaxShardBytes) is { } large)
        {
            throw new DataFormatException($"the shard '{large.Path}' is larger than {DatasetLimits.MaxShardBytes / (1024 * 1024)} MiB; a worker holds several shards at once, so split it", field);
        }

        if (listing.Bytes > (data.Sharded ? DatasetLimits.MaxShardedBytes : DatasetLimits.MaxBytes))
        {
            throw new DataFormatException(data.Sharded
                ? $"the data is larger than {DatasetLimits.MaxShardedBytes / (1024L * 1024 * 1024 * 1024)} TiB"
                : $"the data is larger than {DatasetLimits.MaxBytes / (1024 * 1024)} MiB, more than one worker holds in memory; shard it (data.sharded) to stream it instead", field);
        }
    }

    /// <summary>Reads every listed file and computes the digest that pins them.</summary>
    private async Task<SourceFiles> ReadAsync(SourceListing listing, CancellationToken cancellationToken)
    {
        IDatasetStore files = store!;
        var read = new Dictionary<string, List<DataFile>> { ["source"] = [], ["test"] = [], ["validation"] = [] };
        var inReadingOrder = new List<DataFile>();
        foreach (ListedPart part in listing.Parts)
        {
            foreach (DatasetFileInfo file in part.Files)
            {
                byte[] content = await files.ReadAsync(listing.Container, file.Path, cancellationToken)
                    ?? throw new DataFormatException($"the file '{file.Path}' disappeared from {files.LocationOf(listing.Container)} while it was read", part.Field);
                var dataFile = new DataFile(file.Path, content, part.Root);
                read[part.Name].Add(dataFile);
                inReadingOrder.Add(dataFile);
            }
        }

        IReadOnlyList<DataFile>? Part(string name) => listing.Parts.Any(part => part.Name == name) ? read[name] : null;
        return new SourceFiles(listing.Format, read["source"], Part("test"), Part("validation"), Digest(inReadingOrder.DistinctBy(file => file.Path)));
    }

    private static string Digest(IEnumerable<DataFile> files) =>
        DigestOf(files.Select(file => (file.Path, Convert.ToHexStringLower(SHA256.HashData(file.Content)))));

    /// <summary>The digest <c>data.sha256</c> pins: SHA-256 over each file's path and the SHA-256 of its content, in reading order.</summary>
    internal static string DigestOf(IEnumerable<(string Path, string Sha256)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string path, string sha256) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path + "\n" + sha256 + "\n"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static LoadedDataset Parse(DataSection data, SourceFiles files)
    {
        LearningTask task = data.ResolvedTask();
        if (data.IsTokenStream())
        {
            // Token arrays hold ids and no labels: the next token is the label.
            DataRead Tokens(IReadOnlyList<DataFile> part, string field) => DataFormatException.Within(field, () => files.Format.ReadForPrediction(part, data));
            return LanguageModelData.Assemble(data.Source!, files.Digest, data,
                Tokens(files.Source, "data.source"),
                files.Test is null ? null : Tokens(files.Test, "data.test"),
                files.Validation is null ? null : Tokens(files.Validation, "data.validation"));
        }

        DataRead train = Read(files.Format, files.Source, data, "data.source");
        DataRead? test = files.Test is null ? null : Read(files.Format, files.Test, data, "data.test");
        DataRead? validation = files.Validation is null ? null : Read(files.Format, files.Validation, data, "data.validation");
        string name = data.Source!;
        if (data.IsTextTable() && train.Table is null)
        {
            throw new DataFormatException($"names a text column, but '{files.Source[0].Path}' is no table; texts to classify come as a column of a CSV, TSV or Parquet table", "data.text");
        }

        if (train.Table is { } table)
        {
            IRowEncoding encoding = data.IsTextTable() ? TextColumnEncoding.From(table, data) : TableEncoding.From(table, data);
            return DatasetAssembler.Assemble(name, files.Digest, data,
                encoding.Encode(table, task),
                test?.Table is { } testTable ? DataFormatException.Within("data.test", () => encoding.Encode(testTable, task)) : null,
                validation?.Table is { } validationTable ? DataFormatException.Within("data.validation", () => encoding.Encode(validationTable, task)) : null,
                encoding);
        }

        return DatasetAssembler.Assemble(name, files.Digest, data, train.Examples!, test?.Examples, validation?.Examples);
    }

    private static DataRead Read(IDataFormat format, IReadOnlyList<DataFile> files, DataSection data, string field) =>
        DataFormatException.Within(field, () => format.Read(files, data));

    private sealed record ListedPart(string Name, string Field, string Root, IReadOnlyList<DatasetFileInfo> Files);

    /// <summary>What <see cref="ListAsync"/> has listed so far: its parts, and their files and bytes, counted against the limits as each part is added.</summary>
    private sealed class ListingInProgress(IDatasetStore files, string container, DataSection data)
    {
        public IDatasetStore Files { get; } = files;

        public string Container { get; } = container;

        public DataSection Data { get; } = data;

        public List<ListedPart> Parts { get; } = [];

        public int Count { get; set; }

        public long Bytes { get; set; }
    }

    private sealed record SourceListing(string Container, IDataFormat Format, IReadOnlyList<ListedPart> Parts, string Signature);

    private sealed record SourceFiles(IDataFormat Format, IReadOnlyList<DataFile> Source, IReadOnlyList<DataFile>? Test, IReadOnlyList<DataFile>? Validation, string Digest)
    {
        public string Describe()
        {
            DataFile[] all = [.. Source, .. Test ?? [], .. Validation ?? []];
            return all.Length == 1 ? $"the file '{all[0].Path}'" : $"its {all.Length} files ('{all[0].Path}', ...)";
        }
    }
}
