using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// A way of reading data files: CSV, NumPy, images. Adding a format is one class and one line in
/// <see cref="DataFormats.BuiltIn"/>. A table format returns a <see cref="DataTable"/> (the label and categorical
/// columns are then encoded the same way for every table format); any other returns examples directly.
/// </summary>
public interface IDataFormat
{
    /// <summary>The name <c>data.format</c> gives it: csv, tsv, npy.</summary>
    string Name { get; }

    /// <summary>File extensions it reads when <c>data.format</c> is not given, lower case with the dot.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>True when a folder of files is one dataset of this format (image folders); false when each file is a part of it.</summary>
    bool ReadsFolders => false;

    /// <summary>True when the format reads <c>data.imageSize</c> and <c>data.channels</c>; for the others they are an error, not ignored.</summary>
    bool ReadsImageOptions => false;

    /// <summary>
    /// Reads <paramref name="files"/> (one, or a folder's files in name order). Throws <see cref="DataFormatException"/>
    /// naming the file and the row, column or image when they do not hold what they should.
    /// </summary>
    DataRead Read(IReadOnlyList<DataFile> files, DataSection data);

    /// <summary>
    /// Reads files to predict on: as <see cref="Read"/>, except that labels are optional. Examples read without them
    /// have <see cref="RawLabels.None"/>. A table format needs nothing more (its label column may simply be absent).
    /// </summary>
    DataRead ReadForPrediction(IReadOnlyList<DataFile> files, DataSection data) => Read(files, data);
}

/// <summary>A file's path (relative to the container) and bytes; <see cref="Root"/> is the folder it was read as part of ("" for a single file).</summary>
public sealed record DataFile(string Path, byte[] Content, string Root = "")
{
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The path below <see cref="Root"/>: "cat/1.png" for "images/cat/1.png" read from "images/".</summary>
    public string RelativePath => Path.StartsWith(Root, StringComparison.Ordinal) ? Path[Root.Length..] : Path;
}

/// <summary>What a format read: a table, examples, or a text (a language model's, tokenized by the run's tokenizer).</summary>
public sealed record DataRead(DataTable? Table, RawExamples? Examples, TextRead? Text = null)
{
    public static implicit operator DataRead(DataTable table) => new(table, null);

    public static implicit operator DataRead(RawExamples examples) => new(null, examples);
}

/// <summary>Data that cannot be used, with where and why: "'iris.csv' row 12, column 'petal_width': 'abc' is not a number".</summary>
public sealed class DataFormatException(string message, string? field = null) : Exception(message)
{
    /// <summary>The specification field the problem belongs to (<c>data.source</c>, <c>data.test</c>), when known.</summary>
    public string? Field { get; } = field;

    public static DataFormatException At(string file, string where, string rule) => new($"'{file}' {where}: {rule}");

    /// <summary>Runs <paramref name="read"/>, filing any problem it finds without a field under <paramref name="field"/>.</summary>
    public static T Within<T>(string field, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (DataFormatException exception) when (exception.Field is null)
        {
            throw new DataFormatException(exception.Message, field);
        }
    }
}
