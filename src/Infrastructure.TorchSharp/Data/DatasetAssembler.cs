using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Turns examples as read into a dataset to train on, the same way for every format: checks them (finite values,
/// matching shapes, enough classes for the task), encodes the labels for the task, holds out the seeded test and
/// validation fractions, and standardizes with statistics of the training split only.
/// </summary>
public static class DatasetAssembler
{
    private const long TestStream = 1;
    private const long ValidationStream = 2;
    private const string SourceField = "data.source";
    private const string TestField = "data.test";
    private const string ValidationField = "data.validation";

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The splits pass to the LoadedDataset returned, which owns and disposes them.")]
    public static LoadedDataset Assemble(string name, string digest, DataSection data, RawExamples train, RawExamples? test, RawExamples? validation, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(train);
        LearningTask task = data.ResolvedTask();
        foreach ((RawExamples? examples, string field) in new[] { (train, SourceField), (test, TestField), (validation, ValidationField) })
        {
            if (examples is not null)
            {
                DataFormatException.Within(field, () => Check(examples, train));
            }
        }

        (Func<RawExamples, Tensor> targetsOf, int outputs, IReadOnlyList<string>? classNames, double[]? targetMean, double[]? targetStd) = TargetsFor(train, task);
        int n = train.Count;
        int[] trainRows = Enumerable.Range(0, n).ToArray();
        int[] testRows = [];
        int[] validationRows = [];
        if (test is null)
        {
            (testRows, trainRows) = HoldOut(trainRows, data.TestFraction ?? DataSection.DefaultTestFraction, data.SplitSeed, TestStream, train.File, "data.testFraction");
        }

        if (validation is null)
        {
            (validationRows, trainRows) = HoldOut(trainRows, data.ValidationFraction ?? DataSection.DefaultValidationFraction, data.SplitSeed, ValidationStream, train.File, "data.validationFraction");
        }

        long[] shape = [n, .. train.Shape.Select(size => (long)size)];
        // Copied into native memory once and standardized there in place; the held-out splits are then gathered out
        // of it and the training rows moved to its front, so the training split is never a second copy.
        using Tensor all = tensor(train.Features, shape);
        using Tensor allTargets = targetsOf(train);
        using Tensor trainIndex = tensor(trainRows.Select(row => (long)row).ToArray());
        using var statistics = new FeatureStatistics();
        statistics.Add(all, trainIndex);
        (string axis, Tensor mean, Tensor std) = statistics.Result();
        using (mean)
        using (std)
        {
            all.sub_(mean).div_(std);

            DataSplit FromIndices(int[] rows)
            {
                using Tensor index = tensor(rows.Select(row => (long)row).ToArray());
                return new DataSplit(all.index_select(0, index), allTargets.index_select(0, index));
            }

            DataSplit FromExamples(RawExamples examples)
            {
                Tensor targets = targetsOf(examples);
                Tensor features = tensor(examples.Features, [examples.Count, .. examples.Shape.Select(size => (long)size)]);
                features.sub_(mean).div_(std);
                return new DataSplit(features, targets);
            }

            // The held-out rows are gathered first: gathering the training rows then moves them within the examples'
            // own tensor, over the held-out rows, instead of into a second copy of nearly the whole dataset.
            DataSplit testSplit = test is null ? FromIndices(testRows) : DataFormatException.Within(TestField, () => FromExamples(test));
            DataSplit validationSplit = validation is null ? FromIndices(validationRows) : DataFormatException.Within(ValidationField, () => FromExamples(validation));
            DataSplit trainSplit = new(MoveToTheFront(all, trainIndex), allTargets.index_select(0, trainIndex));
            var preprocessing = new Preprocessing(axis, mean.data<float>().ToArray(), std.data<float>().ToArray(), targetMean, targetStd, classNames, featureNames);
            return new LoadedDataset(name, new DataShape(train.Shape, outputs), task, trainSplit, validationSplit, testSplit, preprocessing, digest);
        }
    }

    /// <summary>
    /// Moves the examples at <paramref name="rows"/> (ascending, distinct) to the front of <paramref name="examples"/>,
    /// in order and in place, and returns that front: the same values as an index_select, without a second buffer
    /// (the rows behind the front, the held-out share, stay allocated with it).
    /// Slice by slice, each slice gathered before it is written: a row only ever moves towards the front, so no
    /// later slice reads a row an earlier one overwrote.
    /// </summary>
    private static Tensor MoveToTheFront(Tensor examples, Tensor rows)
    {
        long count = rows.shape[0];
        long sliceRows = FeatureStatistics.RowsPerSlice(examples);
        // Every row kept (the test and validation splits came from files): nothing moves.
        for (long start = 0; count < examples.shape[0] && start < count; start += sliceRows)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(sliceRows, count - start);
            examples.narrow(0, start, length).copy_(examples.index_select(0, rows.narrow(0, start, length)));
        }

        return examples.narrow(0, 0, count);
    }

    private static (int[] HeldOut, int[] Remaining) HoldOut(int[] rows, double fraction, int seed, long stream, string file, string field)
    {
        int count = (int)Math.Round(rows.Length * fraction, MidpointRounding.AwayFromZero);
        if (count < 1 || rows.Length - count < 1)
        {
            throw new DataFormatException($"'{file}' has {rows.Length} examples left, too few to hold out {field} = {fraction.ToString(CultureInfo.InvariantCulture)} and still train");
        }

        long[] order = rows.Select(row => (long)row).ToArray();
        DeterministicRandom.For(seed, stream).Shuffle(order);
        var heldOut = order.Take(count).Select(row => (int)row).Order().ToArray();
        var held = new HashSet<int>(heldOut);
        return (heldOut, rows.Where(row => !held.Contains(row)).ToArray());
    }

    /// <summary>Checks that <paramref name="examples"/> are finite and have the shape of <paramref name="reference"/> (the training data).</summary>
    internal static bool Check(RawExamples examples, RawExamples reference)
    {
        CheckFinite(examples);
        return examples.Shape.SequenceEqual(reference.Shape)
            ? true
            : throw new DataFormatException($"'{examples.File}' holds examples of shape [{string.Join(", ", examples.Shape)}] but '{reference.File}' holds [{string.Join(", ", reference.Shape)}]; every split must have the same shape");
    }

    /// <summary>Checks each label of <paramref name="examples"/> can be one of <paramref name="task"/>: a whole class number or a name, or a numeric target.</summary>
    internal static void CheckLabels(RawExamples examples, LearningTask task)
    {
        if (task == LearningTask.Regression)
        {
            _ = examples.Labels.Values ?? throw new DataFormatException($"'{examples.File}' has text labels ('{examples.Labels.Names![0]}'), but data.task regression needs numeric targets");
            return;
        }

        if (examples.Labels.Width != 1)
        {
            throw new DataFormatException($"'{examples.File}' has {examples.Labels.Width} labels per example; classification takes one (for several numeric targets use data.task regression)");
        }

        _ = ClassNamesOf(examples);
    }

    private static void CheckFinite(RawExamples examples)
    {
        if (examples.Count == 0)
        {
            throw new DataFormatException($"'{examples.File}' holds no examples");
        }

        int width = examples.FeaturesPerExample;
        if (examples.Features.Length != examples.Count * width)
        {
            throw new DataFormatException($"'{examples.File}' holds {examples.Features.Length} feature values for {examples.Count} labels of {width} features each");
        }

        if (FirstNonFinite(examples.Features) is var at and >= 0)
        {
            throw new DataFormatException($"{Where(examples, at / width)}, feature {at % width}: the value {examples.Features[at].ToString(CultureInfo.InvariantCulture)} is not finite (NaN or infinite values cannot be trained on)");
        }

        double[]? values = examples.Labels.Values;
        for (int i = 0; values is not null && i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new DataFormatException($"{Where(examples, i / examples.Labels.Width)}, label: the value {values[i].ToString(CultureInfo.InvariantCulture)} is not finite");
            }
        }
    }

    // A float is NaN or infinite exactly when its exponent bits are all ones; testing a vector of them at a time
    // checks Fashion-MNIST's 47 million values in milliseconds rather than tens of them.
    private static int FirstNonFinite(float[] values)
    {
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<float, int>(values);
        var exponent = new Vector<int>(0x7F800000);
        int i = 0;
        for (; i <= bits.Length - Vector<int>.Count; i += Vector<int>.Count)
        {
            if (Vector.EqualsAny(new Vector<int>(bits[i..]) & exponent, exponent))
            {
                break;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Where(RawExamples examples, int index)
    {
        string where = examples.Locate(index);
        return where.StartsWith('\'') ? where : $"'{examples.File}' {where}";
    }

    /// <summary>How labels become targets, decided from the training labels: class indices, or standardized regression targets.</summary>
    internal static TargetEncoder TargetsFor(RawExamples train, LearningTask task)
    {
        CheckLabels(train, task);
        return task == LearningTask.Regression ? RegressionTargets(train) : ClassTargets(train, task);
    }

    /// <summary>Regression targets, standardized per target with the mean and spread of the training labels.</summary>
    private static TargetEncoder RegressionTargets(RawExamples train)
    {
        double[] values = train.Labels.Values!;
        int width = train.Labels.Width;
        var mean = new double[width];
        var std = new double[width];
        for (int t = 0; t < width; t++)
        {
            double[] column = Enumerable.Range(0, train.Count).Select(i => values[(i * width) + t]).ToArray();
            mean[t] = column.Average();
            double spread = Math.Sqrt(column.Select(v => (v - mean[t]) * (v - mean[t])).Average());
            std[t] = spread > 1e-12 ? spread : 1;
        }

        return new TargetEncoder(examples => Standardized(examples, train, width, mean, std), width, null, mean, std);
    }

    private static Tensor Standardized(RawExamples examples, RawExamples train, int width, double[] mean, double[] std)
    {
        double[] targets = examples.Labels.Values ?? throw new DataFormatException($"'{examples.File}' has text labels, but data.task regression needs numeric targets");
        if (examples.Labels.Width != width)
        {
            throw new DataFormatException($"'{examples.File}' has {examples.Labels.Width} targets per example but '{train.File}' has {width}");
        }

        var scaled = new float[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            scaled[i] = (float)((targets[i] - mean[i % width]) / std[i % width]);
        }

        return tensor(scaled, [examples.Count, width]);
    }

    /// <summary>Class indices into the training labels' classes, sorted by name (or by value for numeric labels).</summary>
    private static TargetEncoder ClassTargets(RawExamples train, LearningTask task)
    {
        string[] names = ClassNamesOf(train);
        string[] classes = train.Labels.Names is not null
            ? names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : train.Labels.Values!.Distinct().Order().Select(Format).ToArray();
        if (classes.Length < 2)
        {
            throw new DataFormatException($"'{train.File}' has a single class ('{classes[0]}') in its labels; {SpecificationNames.Of(task)} needs at least two");
        }

        if (task == LearningTask.Binary && classes.Length != 2)
        {
            throw new DataFormatException($"'{train.File}' has {classes.Length} classes ({string.Join(", ", classes.Take(5))}{(classes.Length > 5 ? ", ..." : string.Empty)}); data.task binary needs exactly two");
        }

        var index = classes.Select((name, i) => (name, i)).ToDictionary(pair => pair.name, pair => (long)pair.i, StringComparer.Ordinal);
        return new TargetEncoder(examples => Encoded(examples, index, classes), classes.Length, classes, null, null);
    }

    private static Tensor Encoded(RawExamples examples, Dictionary<string, long> index, string[] classes)
    {
        string[] labels = ClassNamesOf(examples);
        var encoded = new long[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            encoded[i] = index.TryGetValue(labels[i], out long value)
                ? value
                : throw new DataFormatException($"{Where(examples, i)}: the label '{labels[i]}' is not among the training data's classes ({string.Join(", ", classes.Take(10))}{(classes.Length > 10 ? ", ..." : string.Empty)})");
        }

        return tensor(encoded);
    }

    private static string[] ClassNamesOf(RawExamples examples)
    {
        if (examples.Labels.Names is { } names)
        {
            return names;
        }

        double[] values = examples.Labels.Values!;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != Math.Floor(values[i]))
            {
                throw new DataFormatException($"{Where(examples, i)}: the label {Format(values[i])} is not a whole number, so it cannot name a class; for numeric targets use data.task regression");
            }
        }

        return Array.ConvertAll(values, Format);
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Turns a split's labels into the tensor a task's loss takes, and says what the model must output.</summary>
internal sealed record TargetEncoder(Func<RawExamples, Tensor> Encode, int Outputs, IReadOnlyList<string>? ClassNames, double[]? Mean, double[]? Std);
