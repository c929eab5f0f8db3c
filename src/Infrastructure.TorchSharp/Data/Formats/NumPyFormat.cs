using System.Globalization;
using System.IO.Compression;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// NumPy files. An <c>.npz</c> archive holds a features array (<c>x</c>, <c>features</c> or the only other one) and a
/// labels array (<c>data.label</c>, or <c>y</c>, <c>labels</c>, <c>targets</c>). A single <c>.npy</c> holds features of
/// any shape with <c>data.label</c> naming a labels <c>.npy</c> beside it, or a 2-D table whose column
/// <c>data.label</c> (an index; -1 is the last) is the label. The first axis is the example axis. A folder of
/// such files is one dataset, file after file in name order (or shards, with <c>data.sharded</c>).
/// </summary>
public sealed class NumPyFormat(string name, params string[] extensions) : IDataFormat
{
    private static readonly string[] FeatureNames = ["x", "features", "inputs", "data"];
    private static readonly string[] LabelNames = ["y", "labels", "label", "targets", "target"];

    public string Name { get; } = name;

    public IReadOnlyList<string> Extensions { get; } = extensions;

    /// <summary>The labels file a single .npy names with <c>data.label</c>, beside the source.</summary>
    public static string? LabelFileOf(string source, DataSection data) =>
        data.Label is { } label && label.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && !source.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)
            ? source[..(source.LastIndexOf('/') + 1)] + label
            : null;

    public DataRead Read(IReadOnlyList<DataFile> files, DataSection data) => Read(files, data, labelsOptional: false);

    /// <summary>Without labels, an archive needs only its features array and a single .npy is features whole.</summary>
    public DataRead ReadForPrediction(IReadOnlyList<DataFile> files, DataSection data) => Read(files, data, labelsOptional: true);

    private static RawExamples Read(IReadOnlyList<DataFile> files, DataSection data, bool labelsOptional)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(data);
        DataFile file = files[0];
        if (files.Count == 2 && LabelFileOf(file.Path, data) == files[1].Path)
        {
            return ReadArray(file, files[1], data, labelsOptional);
        }

        RawExamples[] parts = files.Select(part => IsArchive(part, data) ? ReadArchive(part, data, labelsOptional) : ReadArray(part, null, data, labelsOptional)).ToArray();
        return parts.Length == 1 ? parts[0] : Concatenated(parts);
    }

    private static bool IsArchive(DataFile file, DataSection data) => file.Path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) || data.Format == "npz";

    /// <summary>A folder of arrays read whole: every file's examples in name order, all of one shape and label width.</summary>
    private static RawExamples Concatenated(RawExamples[] parts)
    {
        RawExamples first = parts[0];
        foreach (RawExamples part in parts.Skip(1))
        {
            if (!part.Shape.SequenceEqual(first.Shape) || part.Labels.Width != first.Labels.Width || part.Labels.IsNone != first.Labels.IsNone)
            {
                throw DataFormatException.At(part.File, "shape",
                    $"holds examples of shape [{string.Join(", ", part.Shape)}] with {part.Labels.Width} label(s) each, but '{first.File}' holds [{string.Join(", ", first.Shape)}] with {first.Labels.Width}; every file of a folder must match");
            }
        }

        int[] starts = new int[parts.Length];
        for (int p = 1; p < parts.Length; p++)
        {
            starts[p] = starts[p - 1] + parts[p - 1].Count;
        }

        float[] features = new float[parts.Sum(part => (long)part.Features.Length)];
        double[] labels = new double[parts.Sum(part => (long)(part.Labels.Values?.Length ?? 0))];
        long featureAt = 0;
        long labelAt = 0;
        foreach (RawExamples part in parts)
        {
            Array.Copy(part.Features, 0, features, featureAt, part.Features.Length);
            double[] partLabels = part.Labels.Values ?? [];
            Array.Copy(partLabels, 0, labels, labelAt, partLabels.Length);
            featureAt += part.Features.Length;
            labelAt += partLabels.Length;
        }

        string Locate(int index)
        {
            int p = Array.BinarySearch(starts, index);
            p = p >= 0 ? p : ~p - 1;
            return $"'{parts[p].File}' {parts[p].Locate(index - starts[p])}";
        }

        return new RawExamples(first.File, features, first.Shape, first.Labels.IsNone ? RawLabels.None : RawLabels.Of(labels, first.Labels.Width), Locate);
    }

    private static RawExamples ReadArchive(DataFile file, DataSection data, bool labelsOptional)
    {
        var arrays = new Dictionary<string, NumPyArray>(StringComparer.Ordinal);
        try
        {
            using var archive = new ZipArchive(new MemoryStream(file.Content), ZipArchiveMode.Read);
            foreach (ZipArchiveEntry entry in archive.Entries.Where(entry => entry.FullName.EndsWith(".npy", StringComparison.Ordinal)))
            {
                using var content = new MemoryStream();
                using (Stream stream = entry.Open())
                {
                    stream.CopyTo(content);
                }

                arrays[entry.FullName[..^4]] = NumPyArray.Parse($"{file.Path}:{entry.FullName}", content.GetBuffer().AsSpan(0, (int)content.Length));
            }
        }
        catch (InvalidDataException exception)
        {
            throw DataFormatException.At(file.Path, "archive", $"not a readable .npz (zip) archive: {exception.Message}");
        }

        string? labelName = data.Label ?? LabelNames.FirstOrDefault(arrays.ContainsKey);
        if (labelsOptional && (labelName is null || !arrays.ContainsKey(labelName)))
        {
            string? only = FeatureNames.FirstOrDefault(arrays.ContainsKey) ?? (arrays.Count == 1 ? arrays.Keys.First() : null);
            return only is null
                ? throw DataFormatException.At(file.Path, "archive", $"has no features array named {string.Join(", ", FeatureNames)} (it holds {string.Join(", ", arrays.Keys)})")
                : Examples(file.Path, arrays[only], null, $"array '{only}'", "no labels");
        }

        if (labelName is null || !arrays.TryGetValue(labelName, out NumPyArray? labels))
        {
            throw DataFormatException.At(file.Path, "archive", $"has no labels array {(data.Label is null ? "named " + string.Join(", ", LabelNames) : $"'{data.Label}'")} (it holds {string.Join(", ", arrays.Keys)}); name it with data.label");
        }

        string? featureName = FeatureNames.FirstOrDefault(arrays.ContainsKey) ?? (arrays.Count == 2 ? arrays.Keys.First(key => key != labelName) : null);
        if (featureName is null || featureName == labelName)
        {
            throw DataFormatException.At(file.Path, "archive", $"has no features array named {string.Join(", ", FeatureNames)} (it holds {string.Join(", ", arrays.Keys)})");
        }

        return Examples(file.Path, arrays[featureName], labels, $"array '{featureName}'", $"array '{labelName}'");
    }

    private static RawExamples ReadArray(DataFile file, DataFile? labelFile, DataSection data, bool labelsOptional)
    {
        NumPyArray array = NumPyArray.Parse(file.Path, file.Content);
        if (labelFile is not null)
        {
            return Examples(file.Path, array, NumPyArray.Parse(labelFile.Path, labelFile.Content), "features", $"labels '{labelFile.Path}'");
        }

        if (labelsOptional && data.Label is null)
        {
            return Examples(file.Path, array, null, "features", "no labels");
        }

        if (data.Label is null || !int.TryParse(data.Label, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int column))
        {
            throw DataFormatException.At(file.Path, "data.label", "a single .npy needs data.label: a labels .npy file beside it (labels.npy), or the index of the label column of a 2-D array (-1 for the last)");
        }

        if (array.Shape.Length != 2)
        {
            throw DataFormatException.At(file.Path, "shape", $"a label column needs a 2-D array, but this one has shape ({string.Join(", ", array.Shape)})");
        }

        int rows = array.Shape[0];
        int columns = array.Shape[1];
        int labelColumn = column < 0 ? columns + column : column;
        if (labelColumn < 0 || labelColumn >= columns || columns < 2)
        {
            throw DataFormatException.At(file.Path, "data.label", $"column {column} is outside the array's {columns} columns");
        }

        var features = new double[rows * (columns - 1)];
        var labels = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            int f = 0;
            for (int c = 0; c < columns; c++)
            {
                double value = array.Values[(r * columns) + c];
                if (c == labelColumn)
                {
                    labels[r] = value;
                }
                else
                {
                    features[(r * (columns - 1)) + f++] = value;
                }
            }
        }

        return Examples(file.Path, new NumPyArray([rows, columns - 1], features, array.Dtype), new NumPyArray([rows], labels, array.Dtype), "features", $"column {column}");
    }

    private static RawExamples Examples(string file, NumPyArray features, NumPyArray? labels, string featureWhat, string labelWhat)
    {
        if (features.Shape.Length == 0 || features.Shape[0] == 0)
        {
            throw DataFormatException.At(file, featureWhat, "holds no examples (its first axis, the example axis, is empty)");
        }

        int examples = features.Shape[0];
        if (labels is null)
        {
            return new RawExamples(file, features.ToSingles(), features.Shape.Length == 1 ? [1] : features.Shape[1..], RawLabels.None, index => $"example {index}");
        }

        if (labels.Shape.Length == 0 || labels.Shape[0] != examples || labels.Shape.Length > 2)
        {
            throw DataFormatException.At(file, labelWhat, $"has shape ({string.Join(", ", labels.Shape)}) but the features hold {examples} examples; labels of shape ({examples}) or ({examples}, targets) are expected");
        }

        int[] shape = features.Shape.Length == 1 ? [1] : features.Shape[1..];
        float[] values = features.ToSingles();
        return new RawExamples(file, values, shape, RawLabels.Of(labels.Values, labels.Shape.Length == 2 ? labels.Shape[1] : 1), index => $"example {index}");
    }
}
