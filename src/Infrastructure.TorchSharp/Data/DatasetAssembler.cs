using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.Data.Text;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Turns examples as read into a dataset to train on, the same way for every format: checks them (finite values,
/// matching shapes, enough classes for the task), encodes the labels for the task, holds out the seeded test and
/// validation fractions, and standardizes with statistics of the training split only (token ids of a text column,
/// which are categories, are left as they are).
/// </summary>
public static class DatasetAssembler
{
    private const long TestStream = 1;
    private const long ValidationStream = 2;
    private const string SourceField = "data.source";
    private const string TestField = "data.test";
    private const string ValidationField = "data.validation";

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The splits pass to the LoadedDataset returned, which owns and disposes them.")]
    public static LoadedDataset Assemble(string name, string digest, DataSection data, RawExamples train, RawExamples? test, RawExamples? validation, IRowEncoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(train);
        LearningTask task = data.ResolvedTask();
        CheckSplits(train, test, validation);
        (Func<RawExamples, Tensor> targetsOf, int outputs, IReadOnlyList<string>? classNames, double[]? targetMean, double[]? targetStd) = TaskObjectives.For(task).TargetsFrom(train);
        int n = train.Count;
        (int[] trainRows, int[] testRows, int[] validationRows) = RowsOfEachSplit(data, n, train.File, heldOutTest: test is null, heldOutValidation: validation is null);
        long[] shape = [n, .. train.Shape.Select(size => (long)size)];
        // Copied into native memory once and standardized there in place; the held-out splits are then gathered out
        // of it and the training rows moved to its front, so the training split is never a second copy.
        using Tensor all = tensor(train.Features, shape);
        using Tensor allTargets = targetsOf(train);
        using Tensor trainIndex = tensor(trainRows.Select(row => (long)row).ToArray());
        var text = encoding as TextColumnEncoding;
        (string axis, Tensor mean, Tensor std) = text is null ? Statistics(all, trainIndex) : Unstandardized();
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
            var preprocessing = new Preprocessing(axis, mean.data<float>().ToArray(), std.data<float>().ToArray(), targetMean, targetStd, classNames, encoding?.FeatureNames)
            {
                Text = text?.Describe(UnknownTokens(validationSplit, text), UnknownTokens(testSplit, text)),
            };
            var dataShape = new DataShape(train.Shape, outputs) { Vocabulary = text?.Vocabulary, PaddingId = text?.PaddingId };
            return new LoadedDataset(name, dataShape, task, trainSplit, validationSplit, testSplit, preprocessing, digest) { Encoding = encoding };
        }
    }

    private static (string Axis, Tensor Mean, Tensor Std) Statistics(Tensor all, Tensor trainIndex)
    {
        using var statistics = new FeatureStatistics();
        statistics.Add(all, trainIndex);
        return statistics.Result();
    }

    /// <summary>Token ids are categories, not quantities: subtracting 0 and dividing by 1 leaves them exactly as they are.</summary>
    private static (string Axis, Tensor Mean, Tensor Std) Unstandardized() => ("none", zeros(1), ones(1));

    /// <summary>The tokens of a held-out split the training vocabulary lacked (0 where nothing can be unknown).</summary>
    private static long UnknownTokens(DataSplit split, TextColumnEncoding text)
    {
        if (text.Tokenizer.UnknownId is not { } unknown)
        {
            return 0;
        }

        using Tensor matches = split.Features.eq(unknown);
        using Tensor count = matches.sum();
        return count.item<long>();
    }

    /// <summary>The rows of a table of <paramref name="count"/> rows that train, once the seeded test and validation fractions are held out (unless their files are given).</summary>
    internal static int[] TrainingRowsOf(DataSection data, int count, string file) =>
        RowsOfEachSplit(data, count, file, heldOutTest: data.Test is null, heldOutValidation: data.Validation is null).Train;

    private static void CheckSplits(RawExamples train, RawExamples? test, RawExamples? validation)
    {
        foreach ((RawExamples? examples, string field) in new[] { (train, SourceField), (test, TestField), (validation, ValidationField) })
        {
            if (examples is not null)
            {
                DataFormatException.Within(field, () => Check(examples, train));
            }
        }
    }

    /// <summary>The training file's rows of each split: the seeded test and validation shares are held out of it unless their own files are given.</summary>
    private static (int[] Train, int[] Test, int[] Validation) RowsOfEachSplit(DataSection data, int count, string file, bool heldOutTest, bool heldOutValidation)
    {
        int[] trainRows = Enumerable.Range(0, count).ToArray();
        int[] testRows = [];
        int[] validationRows = [];
        if (heldOutTest)
        {
            (testRows, trainRows) = HoldOut(trainRows, data.TestFraction ?? DataSection.DefaultTestFraction, data.SplitSeed, TestStream, file, "data.testFraction");
        }

        if (heldOutValidation)
        {
            (validationRows, trainRows) = HoldOut(trainRows, data.ValidationFraction ?? DataSection.DefaultValidationFraction, data.SplitSeed, ValidationStream, file, "data.validationFraction");
        }

        return (trainRows, testRows, validationRows);
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

    internal static void CheckFinite(RawExamples examples)
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

    internal static string Where(RawExamples examples, int index)
    {
        string where = examples.Locate(index);
        return where.StartsWith('\'') ? where : $"'{examples.File}' {where}";
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Turns a split's labels into the tensor a task's loss takes, and says what the model must output.</summary>
public sealed record TargetEncoder(Func<RawExamples, Tensor> Encode, int Outputs, IReadOnlyList<string>? ClassNames, double[]? Mean, double[]? Std);
