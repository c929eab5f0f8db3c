using System.Globalization;
using DurableTrainer.Domain.Specification;
using nietras.SeparatedValues;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// CSV and TSV with a header row, read with Sep. Every cell is parsed as a number where it is one; the label's and
/// the categorical columns' text is kept whole. A folder of files is read as one table whose files share a header.
/// </summary>
public sealed class SeparatedValuesFormat(string name, char separator, params string[] extensions) : IDataFormat
{
    public string Name { get; } = name;

    public IReadOnlyList<string> Extensions { get; } = extensions;

    public DataRead Read(IReadOnlyList<DataFile> files, DataSection data)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(data);
        HashSet<string> textColumns = TextColumnsOf(data);
        string[]? header = null;
        bool[] keepsText = [];
        List<double>[]? numbers = null;
        List<string?>[]? text = null;
        var origins = new List<(string File, int Line)>();
        foreach (DataFile file in files)
        {
            using SepReader reader = Open(file);
            string[] names = HeaderOf(reader, file);
            if (header is null)
            {
                header = names;
                keepsText = names.Select(textColumns.Contains).ToArray();
                numbers = names.Select(_ => new List<double>()).ToArray();
                text = names.Select(_ => new List<string?>()).ToArray();
            }
            else if (!header.SequenceEqual(names))
            {
                throw DataFormatException.At(file.Path, "line 1", $"its columns ({string.Join(", ", names)}) differ from those of '{files[0].Path}' ({string.Join(", ", header)}); the files of one table share a header");
            }

            ReadRows(reader, file, header, keepsText, numbers!, text!, origins);
        }

        if (header is null)
        {
            throw new DataFormatException("No files to read.");
        }

        TableColumn[] columns = Columns(header, numbers!, text!);
        return new DataTable(files[0].Path, columns, origins.Count, row => $"'{origins[row].File}' line {origins[row].Line}");
    }

    /// <summary>The columns whose text is kept whole: the categorical ones, the label, the id column and the text to classify.</summary>
    private static HashSet<string> TextColumnsOf(DataSection data)
    {
        var textColumns = new HashSet<string>(data.Categorical ?? [], StringComparer.Ordinal);
        if (data.Label is not null)
        {
            textColumns.Add(data.Label);
        }

        if (data.IdColumn is not null)
        {
            textColumns.Add(data.IdColumn);
        }

        if (data.Text is not null)
        {
            textColumns.Add(data.Text);
        }

        return textColumns;
    }

    /// <summary>The file's column names, checked: present, named and distinct.</summary>
    private static string[] HeaderOf(SepReader reader, DataFile file)
    {
        string[] names = reader.Header.ColNames.ToArray();
        if (reader.Header.IsEmpty || names.Length == 0 || names.All(string.IsNullOrWhiteSpace))
        {
            throw DataFormatException.At(file.Path, "line 1", "the file is empty; a header row naming the columns is expected");
        }

        CheckHeader(file.Path, names);
        return names;
    }

    /// <summary>Appends every row of the file to the columns, each cell as a number and, where needed, as text.</summary>
    private static void ReadRows(SepReader reader, DataFile file, string[] header, bool[] keepsText, List<double>[] numbers, List<string?>[] text, List<(string File, int Line)> origins)
    {
        int rowsBefore = origins.Count;
        foreach (SepReader.Row row in reader)
        {
            if (row.ColCount != header.Length)
            {
                throw DataFormatException.At(file.Path, $"line {row.LineNumberFrom}", $"the row has {row.ColCount} values but the header names {header.Length} columns");
            }

            for (int c = 0; c < header.Length; c++)
            {
                ReadOnlySpan<char> cell = row[c].Span;
                bool isNumber = double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value);
                numbers[c].Add(isNumber ? value : double.NaN);
                text[c].Add(!isNumber || keepsText[c] ? cell.ToString() : null);
            }

            origins.Add((file.Path, row.LineNumberFrom));
        }

        if (origins.Count == rowsBefore)
        {
            throw DataFormatException.At(file.Path, "line 2", "the file has a header but no rows");
        }
    }

    private static TableColumn[] Columns(string[] header, List<double>[] numbers, List<string?>[] text)
    {
        var columns = new TableColumn[header.Length];
        for (int c = 0; c < header.Length; c++)
        {
            List<string?> cells = text[c];
            columns[c] = new TableColumn(header[c], numbers[c].ToArray(), cells.Any(cell => cell is not null) ? cells.ToArray() : null);
        }

        return columns;
    }

    private SepReader Open(DataFile file)
    {
        try
        {
            return Sep.Reader(options => options with
            {
                Sep = new Sep(separator),
                HasHeader = true,
                DisableColCountCheck = true,
                Unescape = true,
                Trim = SepTrim.Outer,
                CultureInfo = CultureInfo.InvariantCulture,
            }).From(file.Content);
        }
        catch (ArgumentException exception)
        {
            // Sep checks the header as it opens the file (a column named twice, for one).
            throw DataFormatException.At(file.Path, "line 1", $"the header cannot be used: {exception.Message}");
        }
    }

    private static void CheckHeader(string file, string[] names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < names.Length; c++)
        {
            if (string.IsNullOrWhiteSpace(names[c]))
            {
                throw DataFormatException.At(file, "line 1", $"column {c + 1} has no name; every column needs one");
            }

            if (!seen.Add(names[c]))
            {
                throw DataFormatException.At(file, "line 1", $"the column name '{names[c]}' appears twice");
            }
        }
    }
}
