using System.Buffers.Binary;
using System.IO.Compression;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Reads the IDX format used by MNIST and Fashion-MNIST (big-endian header; magic 0x00000803 for images,
/// 0x00000801 for labels), gzipped or plain. Every malformation is reported with the file it was found in.
/// </summary>
public static class IdxReader
{
    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;

    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        byte[] data = ReadAll(path);
        RequireLength(path, data, 16);
        RequireMagic(path, data, ImageMagic, "images");
        int count = ReadPositive(path, data, 4, "image count");
        int rows = ReadPositive(path, data, 8, "row count");
        int columns = ReadPositive(path, data, 12, "column count");
        long expected = 16L + (long)count * rows * columns;
        if (data.Length != expected)
        {
            throw new InvalidDataException(
                $"IDX image file '{path}' should hold {count} images of {rows}x{columns} ({expected} bytes) but has {data.Length} bytes; it is truncated or corrupt.");
        }

        return (data[16..], count, rows, columns);
    }

    public static byte[] ReadLabels(string path)
    {
        byte[] data = ReadAll(path);
        RequireLength(path, data, 8);
        RequireMagic(path, data, LabelMagic, "labels");
        int count = ReadPositive(path, data, 4, "label count");
        if (data.Length != 8L + count)
        {
            throw new InvalidDataException(
                $"IDX label file '{path}' should hold {count} labels ({8L + count} bytes) but has {data.Length} bytes; it is truncated or corrupt.");
        }

        return data[8..];
    }

    private static byte[] ReadAll(string path)
    {
        using FileStream file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream source = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var buffer = new MemoryStream();
        try
        {
            source.CopyTo(buffer);
        }
        catch (InvalidDataException exception)
        {
            throw new InvalidDataException($"IDX file '{path}' is not valid gzip data: {exception.Message}", exception);
        }

        return buffer.ToArray();
    }

    private static void RequireLength(string path, byte[] data, int header)
    {
        if (data.Length < header)
        {
            throw new InvalidDataException($"IDX file '{path}' is {data.Length} bytes long, shorter than its {header}-byte header.");
        }
    }

    private static void RequireMagic(string path, byte[] data, int magic, string what)
    {
        int actual = BinaryPrimitives.ReadInt32BigEndian(data);
        if (actual != magic)
        {
            throw new InvalidDataException(
                $"IDX file '{path}' starts with magic 0x{actual:X8}, not 0x{magic:X8}; it is not an IDX {what} file.");
        }
    }

    private static int ReadPositive(string path, byte[] data, int offset, string what)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(offset));
        if (value <= 0)
        {
            throw new InvalidDataException($"IDX file '{path}' declares a {what} of {value}.");
        }

        return value;
    }
}
