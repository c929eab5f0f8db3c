using System.Globalization;
using System.Numerics;
using DurableTrainer.Domain.Specification;
using Parquet;
using Parquet.Schema;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// Parquet tables, read with Parquet.Net: numeric and boolean columns as numbers (a null is a missing value), text
/// columns as text, with the same semantics as CSV (the label, categorical columns, every other column a feature).
/// A folder of files is read as one table whose files share a schema.
/// </summary>
public sealed class ParquetFormat : IDataFormat
{
    public string Name => "parquet";

    public IReadOnlyList<string> Extensions { get; } = [".parquet", ".pq"];

    public DataRead Read(IReadOnlyList<DataFile> files, DataSection data)
    {
        ArgumentNullException.ThrowIfNull(files);
        string[]? names = null;
        var numbers = new List<List<double>>();
        var text = new List<List<string?>>();
        var origins = new List<(string File, long Row)>();
        foreach (DataFile file in files)
        {
            // Parquet.Net reads asynchronously; from memory every await completes at once.
            (string[] fileNames, List<double>[] fileNumbers, List<string?>[] fileText) = ReadFileAsync(file).GetAwaiter().GetResult();
            if (names is null)
            {
                names = fileNames;
                numbers.AddRange(fileNumbers.Select(_ => new List<double>()));
                text.AddRange(fileText.Select(_ => new List<string?>()));
            }
            else if (!names.SequenceEqual(fileNames))
            {
                throw DataFormatException.At(file.Path, "schema", $"its columns ({string.Join(", ", fileNames)}) differ from those of '{files[0].Path}' ({string.Join(", ", names)}); the files of one table share a schema");
            }

            int rows = fileNumbers.Length == 0 ? 0 : fileNumbers[0].Count;
            if (rows == 0)
            {
                throw DataFormatException.At(file.Path, "row 1", "the file has a schema but no rows");
            }

            for (int c = 0; c < names.Length; c++)
            {
                numbers[c].AddRange(fileNumbers[c]);
                text[c].AddRange(fileText[c]);
            }

            origins.AddRange(Enumerable.Range(1, rows).Select(row => (file.Path, (long)row)));
        }

        if (names is null)
        {
            throw new DataFormatException("No files to read.");
        }

        var columns = names.Select((name, c) => new TableColumn(name, numbers[c].ToArray(), text[c].Any(cell => cell is not null) ? text[c].ToArray() : null)).ToArray();
        return new DataTable(files[0].Path, columns, origins.Count, row => $"'{origins[row].File}' row {origins[row].Row}");
    }

    private static async Task<(string[] Names, List<double>[] Numbers, List<string?>[] Text)> ReadFileAsync(DataFile file)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(new MemoryStream(file.Content, writable: false));
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw DataFormatException.At(file.Path, "header", $"not a readable Parquet file ({exception.Message})");
        }

        await using (reader)
        {
            DataField[] fields = reader.Schema.GetDataFields();
            if (fields.Length == 0)
            {
                throw DataFormatException.At(file.Path, "schema", "the file has no columns");
            }

            var numbers = fields.Select(_ => new List<double>()).ToArray();
            var text = fields.Select(_ => new List<string?>()).ToArray();
            for (int group = 0; group < reader.RowGroupCount; group++)
            {
                using ParquetRowGroupReader rows = reader.OpenRowGroupReader(group);
                int count = checked((int)rows.RowCount);
                for (int c = 0; c < fields.Length; c++)
                {
                    await ReadColumnAsync(file.Path, rows, fields[c], count, numbers[c], text[c]);
                }
            }

            return (fields.Select(field => field.Name).ToArray(), numbers, text);
        }
    }

    private static async Task ReadColumnAsync(string file, ParquetRowGroupReader rows, DataField field, int count, List<double> numbers, List<string?> text)
    {
        if (field.IsArray)
        {
            throw DataFormatException.At(file, $"column '{field.Name}'", "holds lists; every column must hold one value per row");
        }

        Type type = field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var cells = new string?[count];
            await rows.ReadAsync(field, cells.AsMemory(), null);
            foreach (string? cell in cells)
            {
                bool isNumber = double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value);
                numbers.Add(isNumber ? value : double.NaN);
                text.Add(cell ?? string.Empty);
            }

            return;
        }

        double[] values = type == typeof(double) ? await NumbersAsync<double>(rows, field, count)
            : type == typeof(float) ? await NumbersAsync<float>(rows, field, count)
            : type == typeof(int) ? await NumbersAsync<int>(rows, field, count)
            : type == typeof(long) ? await NumbersAsync<long>(rows, field, count)
            : type == typeof(short) ? await NumbersAsync<short>(rows, field, count)
            : type == typeof(byte) ? await NumbersAsync<byte>(rows, field, count)
            : type == typeof(sbyte) ? await NumbersAsync<sbyte>(rows, field, count)
            : type == typeof(uint) ? await NumbersAsync<uint>(rows, field, count)
            : type == typeof(ulong) ? await NumbersAsync<ulong>(rows, field, count)
            : type == typeof(ushort) ? await NumbersAsync<ushort>(rows, field, count)
            : type == typeof(decimal) ? await NumbersAsync<decimal>(rows, field, count)
            : type == typeof(bool) ? await BooleansAsync(rows, field, count)
            : throw DataFormatException.At(file, $"column '{field.Name}'", $"has type {type.Name}; a column must hold numbers, true/false or text");
        foreach (double value in values)
        {
            numbers.Add(value);
            // A null reads as NaN and as an empty cell, so the table's checks name the row as a missing value.
            text.Add(double.IsNaN(value) ? string.Empty : null);
        }
    }

    private static async Task<double[]> NumbersAsync<T>(ParquetRowGroupReader rows, DataField field, int count)
        where T : struct, INumberBase<T>
    {
        var nullable = new T?[count];
        await rows.ReadAsync(field, nullable.AsMemory(), null);
        return Array.ConvertAll(nullable, value => value is { } number ? double.CreateChecked(number) : double.NaN);
    }

    private static async Task<double[]> BooleansAsync(ParquetRowGroupReader rows, DataField field, int count)
    {
        var nullable = new bool?[count];
        await rows.ReadAsync(field, nullable.AsMemory(), null);
        return Array.ConvertAll(nullable, value => value is { } flag ? (flag ? 1.0 : 0.0) : double.NaN);
    }
}
