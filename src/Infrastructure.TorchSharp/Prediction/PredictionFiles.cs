using System.Globalization;
using System.IO.Compression;
using System.Text;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using Parquet;
using Parquet.Schema;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>
/// Writes predictions as files, the same bytes for the same predictions every time (a redelivered part overwrites
/// its file with identical bytes): CSV and Parquet with the id column when named, <c>prediction</c>, and one
/// <c>probability_{class}</c> per class (or <c>prediction_{t}</c> per target for several targets); NPY with the
/// numbers only.
/// </summary>
public static class PredictionFiles
{
    public static byte[] Write(PredictionOutputFormat format, PredictedValues predictions, string?[]? ids, string? idColumn)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return format switch
        {
            PredictionOutputFormat.Npy => predictions.Probabilities is { } probabilities
                ? Npy(probabilities, [predictions.Count, predictions.Width])
                : Npy(predictions.Values!, predictions.Width == 1 ? [predictions.Count] : [predictions.Count, predictions.Width]),
            PredictionOutputFormat.Parquet => Parquet(predictions, ids, idColumn),
            _ => Csv(predictions, ids, idColumn),
        };
    }

    /// <summary>The column names, in order, of a CSV or Parquet file of these predictions.</summary>
    public static IReadOnlyList<string> ColumnsOf(PredictedValues predictions, string? idColumn)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var columns = new List<string>();
        if (idColumn is not null)
        {
            columns.Add(idColumn);
        }

        if (predictions.IsClassification)
        {
            columns.Add("prediction");
            columns.AddRange(predictions.ClassNames!.Select(name => "probability_" + name));
        }
        else
        {
            columns.AddRange(predictions.Width == 1 ? ["prediction"] : Enumerable.Range(0, predictions.Width).Select(t => $"prediction_{t}"));
        }

        return columns;
    }

    private static byte[] Csv(PredictedValues predictions, string?[]? ids, string? idColumn)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', ColumnsOf(predictions, idColumn).Select(Quoted)).Append('\n');
        for (int row = 0; row < predictions.Count; row++)
        {
            if (idColumn is not null)
            {
                text.Append(Quoted(ids?[row] ?? string.Empty)).Append(',');
            }

            if (predictions.Probabilities is { } probabilities)
            {
                text.Append(Quoted(predictions.ClassAt(row)));
                for (int c = 0; c < predictions.Width; c++)
                {
                    text.Append(',').Append(PredictedValues.Text(probabilities[(row * predictions.Width) + c]));
                }
            }
            else
            {
                text.AppendJoin(',', Enumerable.Range(0, predictions.Width).Select(t => PredictedValues.Text(predictions.Values![(row * predictions.Width) + t])));
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    private static string Quoted(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static byte[] Parquet(PredictedValues predictions, string?[]? ids, string? idColumn)
    {
        IReadOnlyList<string> names = ColumnsOf(predictions, idColumn);
        var columns = new List<(DataField Field, Func<ParquetRowGroupWriter, DataField, Task> Write)>();
        int at = 0;
        void Text(string[] values) => columns.Add((new DataField<string>(names[at++]), (group, field) => group.WriteAsync(field, values)));
        void Numbers<T>(T[] values)
            where T : struct => columns.Add((new DataField<T>(names[at++]), (group, field) => group.WriteAsync<T>(field, values.AsMemory())));
        if (idColumn is not null)
        {
            Text([.. (ids ?? new string?[predictions.Count]).Select(id => id ?? string.Empty)]);
        }

        if (predictions.Probabilities is { } probabilities)
        {
            Text([.. Enumerable.Range(0, predictions.Count).Select(predictions.ClassAt)]);
            for (int c = 0; c < predictions.Width; c++)
            {
                int column = c;
                Numbers(Enumerable.Range(0, predictions.Count).Select(row => probabilities[(row * predictions.Width) + column]).ToArray());
            }
        }
        else
        {
            for (int t = 0; t < predictions.Width; t++)
            {
                int target = t;
                Numbers(Enumerable.Range(0, predictions.Count).Select(row => predictions.Values![(row * predictions.Width) + target]).ToArray());
            }
        }

        using var stream = new MemoryStream();
        // Parquet.Net writes asynchronously; into memory every await completes at once.
        WriteParquetAsync(stream, columns).GetAwaiter().GetResult();
        return stream.ToArray();
    }

    private static async Task WriteParquetAsync(MemoryStream stream, List<(DataField Field, Func<ParquetRowGroupWriter, DataField, Task> Write)> columns)
    {
        var schema = new ParquetSchema(columns.Select(column => (Field)column.Field).ToArray());
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream);
        using ParquetRowGroupWriter group = writer.CreateRowGroup();
        foreach ((DataField field, Func<ParquetRowGroupWriter, DataField, Task> write) in columns)
        {
            await write(group, field);
        }
    }

    /// <summary>A NumPy 1.0 file of float32 values in C order.</summary>
    public static byte[] Npy(float[] values, int[] shape) => Npy("<f4", shape, values.Length * 4, span => MemoryMarshalCopy(values, span));

    /// <summary>A NumPy 1.0 file of float64 values in C order.</summary>
    public static byte[] Npy(double[] values, int[] shape) => Npy("<f8", shape, values.Length * 8, span => MemoryMarshalCopy(values, span));

    private static void MemoryMarshalCopy<T>(T[] values, Span<byte> destination)
        where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(destination);

    private static byte[] Npy(string dtype, int[] shape, int dataBytes, Action<Span<byte>> writeData)
    {
        string dimensions = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.Select(size => size.ToString(CultureInfo.InvariantCulture))) + ")";
        string header = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {dimensions}, }}";
        // Magic, version, header length, then the header padded with spaces so the data starts at a multiple of 64.
        int unpadded = 10 + header.Length + 1;
        int padding = (64 - (unpadded % 64)) % 64;
        header = header + new string(' ', padding) + "\n";
        var file = new byte[10 + header.Length + dataBytes];
        file[0] = 0x93;
        "NUMPY"u8.CopyTo(file.AsSpan(1));
        file[6] = 1;
        file[7] = 0;
        BitConverter.TryWriteBytes(file.AsSpan(8, 2), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header).CopyTo(file.AsSpan(10));
        writeData(file.AsSpan(10 + header.Length));
        return file;
    }

    /// <summary>A labelled part's outputs [N, outputs] and targets ([N] class indices or [N, targets]) as an <c>.npz</c>.</summary>
    internal static byte[] WriteEvaluation(EvaluationRecord record)
    {
        float[] outputs = record.Outputs;
        double[] targets = record.Targets;
        int rows = record.OutputWidth == 0 ? 0 : outputs.Length / record.OutputWidth;
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "outputs.npy", Npy(outputs, [rows, record.OutputWidth]));
            Add(archive, record.ClassTargets ? "classes.npy" : "targets.npy", Npy(targets, record.ClassTargets ? [rows] : [rows, record.TargetWidth]));
        }

        return stream.ToArray();
    }

    private static void Add(ZipArchive archive, string name, byte[] content)
    {
        ZipArchiveEntry entry = archive.CreateEntry(name, CompressionLevel.NoCompression);
        // A fixed time, so a rewritten file has the same bytes.
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using Stream target = entry.Open();
        target.Write(content);
    }

    /// <summary>Reads back what <see cref="WriteEvaluation"/> wrote: outputs, targets, and whether the targets are class indices.</summary>
    internal static (NumPyArray Outputs, NumPyArray Targets, bool ClassTargets) ReadEvaluation(string path, byte[] content)
    {
        using var archive = new ZipArchive(new MemoryStream(content), ZipArchiveMode.Read);
        NumPyArray Array(string name)
        {
            using var buffer = new MemoryStream();
            using (Stream entry = archive.GetEntry(name)!.Open())
            {
                entry.CopyTo(buffer);
            }

            return NumPyArray.Parse($"{path}:{name}", buffer.ToArray());
        }

        bool classTargets = archive.GetEntry("classes.npy") is not null;
        return (Array("outputs.npy"), Array(classTargets ? "classes.npy" : "targets.npy"), classTargets);
    }
}
