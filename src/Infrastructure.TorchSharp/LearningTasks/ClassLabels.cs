using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>Labels that name classes: whole numbers or texts, one per example, encoded as indices into the training split's classes.</summary>
public static class ClassLabels
{
    public static void Check(RawExamples examples) => _ = CheckedNames(examples);

    /// <summary>Class indices into the training labels' classes, sorted by name (or by value for numeric labels).</summary>
    public static TargetEncoder Encoder(RawExamples train, LearningTask task)
    {
        string[] names = CheckedNames(train);
        string[] classes = train.Labels.Names is not null
            ? names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : train.Labels.Values!.Distinct().Order().Select(DatasetAssembler.Format).ToArray();
        if (classes.Length < 2)
        {
            throw new DataFormatException($"'{train.File}' has a single class ('{classes[0]}') in its labels; {SpecificationNames.Of(task)} needs at least two");
        }

        return EncoderFor(classes);
    }

    /// <summary>Class indices into <paramref name="classes"/>, the training split's classes in order.</summary>
    public static TargetEncoder EncoderFor(IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        string[] names = [.. classes];
        var index = names.Select((name, i) => (name, i)).ToDictionary(pair => pair.name, pair => (long)pair.i, StringComparer.Ordinal);
        return new TargetEncoder(examples => Encoded(examples, index, names), names.Length, names, null, null);
    }

    /// <summary>The labels as class names, once checked: one per example, each a name or a whole number.</summary>
    private static string[] CheckedNames(RawExamples examples) =>
        examples.Labels.Width == 1
            ? NamesOf(examples)
            : throw new DataFormatException($"'{examples.File}' has {examples.Labels.Width} labels per example; classification takes one (for several numeric targets use data.task regression)");

    private static Tensor Encoded(RawExamples examples, Dictionary<string, long> index, string[] classes)
    {
        string[] labels = NamesOf(examples);
        var encoded = new long[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            encoded[i] = index.TryGetValue(labels[i], out long value)
                ? value
                : throw new DataFormatException($"{DatasetAssembler.Where(examples, i)}: the label '{labels[i]}' is not among the training data's classes ({string.Join(", ", classes.Take(10))}{(classes.Length > 10 ? ", ..." : string.Empty)})");
        }

        return tensor(encoded);
    }

    private static string[] NamesOf(RawExamples examples)
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
                throw new DataFormatException($"{DatasetAssembler.Where(examples, i)}: the label {DatasetAssembler.Format(values[i])} is not a whole number, so it cannot name a class; for numeric targets use data.task regression");
            }
        }

        return Array.ConvertAll(values, DatasetAssembler.Format);
    }
}
