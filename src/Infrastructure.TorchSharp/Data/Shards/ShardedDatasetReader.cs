using System.Diagnostics.CodeAnalysis;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Shards;

/// <summary>
/// Reads a sharded dataset (<c>data.sharded</c>): a folder whose every file is one shard of the format, read one at a
/// time so that no worker ever holds more than a few.
/// <list type="bullet">
/// <item>The survey reads each shard once: it checks it as the in-memory path checks a whole dataset (finite values,
/// one shape, labels the task can take), records its example count and SHA-256, and accumulates the training
/// statistics. Standardization, classes and table encodings are therefore those of the whole training split.</item>
/// <item>Test and validation are the given files, or whole shards held out by a seeded draw (holding out rows would
/// make every evaluation read every shard).</item>
/// <item>Training then loads shards on demand through the process's <see cref="ShardCache"/>; each load checks the
/// shard's content against the survey's hash, so a run never trains on a shard that changed under it.</item>
/// </list>
/// </summary>
internal sealed class ShardedDatasetReader(IDatasetStore store, string container, IDataFormat format, DataSection data, ShardCache cache, ILogger logger)
{
    private const long TestStream = 1;
    private const long ValidationStream = 2;

    // Decided from the first training table (or from every one when columns are categorical), then applied to all.
    private TableEncoding? _encoding;

    /// <summary>A part of the data as listed: source, test or validation, with the specification field it comes from.</summary>
    public sealed record Part(string Name, string Field, IReadOnlyList<DatasetFileInfo> Files);

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The splits pass to the LoadedDataset returned, which owns and disposes them.")]
    public async Task<LoadedDataset> SurveyAsync(IReadOnlyList<Part> parts, Func<string, string> cacheKeyOf, CancellationToken cancellationToken)
    {
        LearningTask task = data.ResolvedTask();
        ILearningTaskObjective objective = TaskObjectives.For(task);
        var surveyTime = Stopwatch.StartNew();
        Part source = parts.First(part => part.Name == "source");
        // A given test or validation file inside the source folder is held out, not trained on.
        var given = parts.Where(part => part.Name != "source").SelectMany(part => part.Files).Select(file => file.Path).ToHashSet(StringComparer.Ordinal);
        List<(DatasetFileInfo File, string Field)> train = [.. source.Files.Where(file => !given.Contains(file.Path)).Select(file => (file, source.Field))];
        if (train.Count == 0)
        {
            throw new DataFormatException($"'{data.Source}' holds no shards besides the test and validation files", source.Field);
        }

        List<(DatasetFileInfo File, string Field)> test = Given(parts, "test") ?? HoldOut(train, data.TestFraction ?? DataSection.DefaultTestFraction, TestStream, "data.testFraction");
        List<(DatasetFileInfo File, string Field)> validation = Given(parts, "validation") ?? HoldOut(train, data.ValidationFraction ?? DataSection.DefaultValidationFraction, ValidationStream, "data.validationFraction");

        if (data.Categorical is { Count: > 0 })
        {
            await CollectCategoriesAsync(train, cancellationToken);
        }

        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var infos = new Dictionary<string, ShardInfo>(StringComparer.Ordinal);
        using var statistics = new FeatureStatistics();
        (RawExamples reference, List<RawLabels> labels) = await SurveyTrainingShardsAsync(train, objective, statistics, hashes, infos, cancellationToken);
        var allTrain = new RawExamples(data.Source!, [], reference.Shape, Combined(labels), index => $"example {index}");
        TargetEncoder targets = DataFormatException.Within("data.source", () => objective.TargetsFrom(allTrain));
        await SurveyHeldOutShardsAsync(test.Concat(validation), reference, objective, targets, hashes, infos, cancellationToken);
        (string axis, Tensor mean, Tensor std) = statistics.Result();
        using (mean)
        using (std)
        {
            string digest = DatasetProvider.DigestOf(parts.SelectMany(part => part.Files).Select(file => file.Path).Distinct(StringComparer.Ordinal).Select(path => (path, hashes[path])));
            var preprocessing = new Preprocessing(axis, mean.data<float>().ToArray(), std.data<float>().ToArray(), targets.Mean, targets.Std, targets.ClassNames, _encoding?.FeatureNames);
            var shards = new ShardLoader(store, container, format, data, _encoding, targets, preprocessing, mean.shape, logger);
            logger.LogInformation("Surveyed the {Shards} shards of '{Source}' ({Train} training examples in {TrainShards} shards) in {Seconds:F1} s.",
                infos.Count, data.Source, train.Sum(file => (long)infos[file.File.Path].Count), train.Count, surveyTime.Elapsed.TotalSeconds);
            string cacheKey = cacheKeyOf(digest);
            ShardedSplit Split(IEnumerable<(DatasetFileInfo File, string Field)> files) =>
                new(cacheKey, files.Select(file => infos[file.File.Path]).ToArray(), cache, shards.LoadAsync);
            return new LoadedDataset(data.Source!, new DataShape(reference.Shape, targets.Outputs), task, Split(train), Split(validation), Split(test), preprocessing, digest) { Encoding = _encoding };
        }
    }

    /// <summary>Categories must be the same in every shard's encoding: they are collected over all training shards first.</summary>
    private async Task CollectCategoriesAsync(List<(DatasetFileInfo File, string Field)> train, CancellationToken cancellationToken)
    {
        foreach ((DatasetFileInfo file, string field) in train)
        {
            byte[] content = await ReadFile(file, field, cancellationToken);
            DataTable table = DataFormatException.Within(field, () => format.Read([new DataFile(file.Path, content)], data).Table)
                ?? throw new DataFormatException($"applies to tables; {format.Name} files have no columns", "data.categorical");
            TableEncoding shardEncoding = DataFormatException.Within(field, () => TableEncoding.From(table, data));
            _encoding = _encoding is null ? shardEncoding : _encoding.Including(shardEncoding);
        }
    }

    /// <summary>
    /// Reads every training shard once: checks its shape and labels against the first, adds its features to the
    /// standardization statistics and records its size and hash. Returns the first shard's shape and every label.
    /// </summary>
    private async Task<(RawExamples Reference, List<RawLabels> Labels)> SurveyTrainingShardsAsync(
        List<(DatasetFileInfo File, string Field)> train,
        ILearningTaskObjective objective,
        FeatureStatistics statistics,
        Dictionary<string, string> hashes,
        Dictionary<string, ShardInfo> infos,
        CancellationToken cancellationToken)
    {
        var labels = new List<RawLabels>();
        RawExamples? reference = null;
        foreach ((DatasetFileInfo file, string field) in train)
        {
            byte[] content = await ReadFile(file, field, cancellationToken);
            RawExamples examples = DataFormatException.Within(field, () =>
            {
                RawExamples read = Decode(file.Path, content);
                reference ??= read with { Features = [] };
                DatasetAssembler.Check(read, reference);
                objective.CheckLabels(read);
                return read.Labels.Width == reference.Labels.Width
                    ? read
                    : throw new DataFormatException($"'{read.File}' has {read.Labels.Width} label(s) per example but '{reference.File}' has {reference.Labels.Width}; every shard must have the same");
            });
            using (Tensor features = FeaturesOf(examples))
            {
                statistics.Add(features);
            }

            labels.Add(examples.Labels);
            Record(file, content, examples.Count, hashes, infos);
        }

        return (reference!, labels);
    }

    /// <summary>Reads every test and validation shard once: its shape, its labels (each must encode) and its size and hash.</summary>
    private async Task SurveyHeldOutShardsAsync(
        IEnumerable<(DatasetFileInfo File, string Field)> heldOut,
        RawExamples reference,
        ILearningTaskObjective objective,
        TargetEncoder targets,
        Dictionary<string, string> hashes,
        Dictionary<string, ShardInfo> infos,
        CancellationToken cancellationToken)
    {
        foreach ((DatasetFileInfo file, string field) in heldOut)
        {
            byte[] content = await ReadFile(file, field, cancellationToken);
            int count = DataFormatException.Within(field, () =>
            {
                RawExamples read = Decode(file.Path, content);
                DatasetAssembler.Check(read, reference);
                objective.CheckLabels(read);
                using Tensor encoded = targets.Encode(read);
                return read.Count;
            });
            Record(file, content, count, hashes, infos);
        }
    }

    private static void Record(DatasetFileInfo file, byte[] content, int count, Dictionary<string, string> hashes, Dictionary<string, ShardInfo> infos)
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(content));
        hashes[file.Path] = sha;
        infos[file.Path] = new ShardInfo(file.Path, sha, count);
    }

    private static List<(DatasetFileInfo File, string Field)>? Given(IReadOnlyList<Part> parts, string name) =>
        parts.FirstOrDefault(part => part.Name == name) is { } part ? [.. part.Files.Select(file => (file, part.Field))] : null;

    /// <summary>Moves a seeded <paramref name="fraction"/> of the training shards (at least one) out of <paramref name="train"/>.</summary>
    private List<(DatasetFileInfo File, string Field)> HoldOut(List<(DatasetFileInfo File, string Field)> train, double fraction, long stream, string field)
    {
        int count = Math.Max(1, (int)Math.Round(train.Count * fraction, MidpointRounding.AwayFromZero));
        if (train.Count - count < 1)
        {
            throw new DataFormatException(
                $"'{data.Source}' has {train.Count} shard(s) left, too few to hold out {field} = {fraction.ToString(CultureInfo.InvariantCulture)} as whole shards and still train; " +
                "sharded data holds out whole shards, so give more shards, or data.test and data.validation", field);
        }

        long[] order = Enumerable.Range(0, train.Count).Select(index => (long)index).ToArray();
        DeterministicRandom.For(data.SplitSeed, stream).Shuffle(order);
        var chosen = order.Take(count).Select(index => (int)index).ToHashSet();
        var heldOut = chosen.Order().Select(index => train[index]).ToList();
        List<(DatasetFileInfo File, string Field)> remaining = train.Where((_, index) => !chosen.Contains(index)).ToList();
        train.Clear();
        train.AddRange(remaining);
        return heldOut;
    }

    private async Task<byte[]> ReadFile(DatasetFileInfo file, string field, CancellationToken cancellationToken) =>
        await store.ReadAsync(container, file.Path, cancellationToken)
        ?? throw new DataFormatException($"the file '{file.Path}' disappeared from {store.LocationOf(container)} while it was read", field);

    private RawExamples Decode(string path, byte[] content)
    {
        DataRead read = format.Read([new DataFile(path, content)], data);
        if (read.Table is { } table)
        {
            _encoding ??= TableEncoding.From(table, data);
            return _encoding.Encode(table, data.ResolvedTask());
        }

        return read.Examples!;
    }

    private static Tensor FeaturesOf(RawExamples examples) => tensor(examples.Features, [examples.Count, .. examples.Shape.Select(size => (long)size)]);

    /// <summary>The training shards' labels as one list; numbers become their text when another shard names its classes.</summary>
    private static RawLabels Combined(List<RawLabels> labels)
    {
        if (labels.All(part => part.Values is not null))
        {
            return RawLabels.Of(labels.SelectMany(part => part.Values!).ToArray(), labels[0].Width);
        }

        return RawLabels.Of(labels.SelectMany(part => part.Names ?? Array.ConvertAll(part.Values!, DatasetAssembler.Format)).ToArray());
    }

    /// <summary>Loads one shard for training or evaluation, preprocessed with the survey's statistics.</summary>
    private sealed class ShardLoader(IDatasetStore store, string container, IDataFormat format, DataSection data, TableEncoding? encoding, TargetEncoder targets, Preprocessing preprocessing, long[] statisticsShape, ILogger logger)
    {
        public async Task<ShardTensors> LoadAsync(ShardInfo shard)
        {
            var time = Stopwatch.StartNew();
            byte[] content = await store.ReadAsync(container, shard.Path)
                ?? throw new DatasetException($"The shard '{shard.Path}' of the run's data disappeared from {store.LocationOf(container)}. Restore it, or submit a new run.");
            string sha = Convert.ToHexStringLower(SHA256.HashData(content));
            if (sha != shard.Sha256)
            {
                throw new DatasetException(
                    $"The data of the run changed after submission: the shard '{shard.Path}' in {store.LocationOf(container)} now hashes to {sha}, " +
                    $"but the run was submitted with {shard.Sha256}. Restore the file, or submit a new run.");
            }

            double readMilliseconds = time.Elapsed.TotalMilliseconds;
            try
            {
                return TensorThreads.RunBeside(() => Decode(shard, content, time, readMilliseconds));
            }
            catch (DataFormatException exception)
            {
                throw new DatasetException(exception.Message);
            }
        }

        private ShardTensors Decode(ShardInfo shard, byte[] content, Stopwatch time, double readMilliseconds)
        {
            DataRead read = format.Read([new DataFile(shard.Path, content)], data);
            RawExamples examples = read.Table is { } table ? encoding!.Encode(table, data.ResolvedTask()) : read.Examples!;
            using Tensor features = FeaturesOf(examples);
            using Tensor mean = tensor(preprocessing.FeatureMean, statisticsShape);
            using Tensor std = tensor(preprocessing.FeatureStd, statisticsShape);
            using Tensor standardized = features.sub(mean).div_(std);
            var loaded = new ShardTensors(standardized.contiguous(), targets.Encode(examples));
            logger.LogDebug("Loaded the shard '{Shard}' ({Examples} examples) in {Milliseconds:F0} ms ({Read:F0} ms to read and verify).",
                shard.Path, shard.Count, time.Elapsed.TotalMilliseconds, readMilliseconds);
            return loaded;
        }
    }
}
