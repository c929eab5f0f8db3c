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
        using Stream source = Open(path, out long? plainLength);
        byte[] header = ReadHeader(path, source, 16, ImageMagic, "images");
        int count = ReadPositive(path, header, 4, "image count");
        int rows = ReadPositive(path, header, 8, "row count");
        int columns = ReadPositive(path, header, 12, "column count");
        long expected = 16L + ((long)count * rows * columns);
        byte[] pixels = ReadBody(path, source, header.Length, expected, plainLength, actual =>
            $"IDX image file '{path}' should hold {count} images of {rows}x{columns} ({expected} bytes) but has {actual} bytes; it is truncated or corrupt.");
        return (pixels, count, rows, columns);
    }

    public static byte[] ReadLabels(string path)
    {
        using Stream source = Open(path, out long? plainLength);
        byte[] header = ReadHeader(path, source, 8, LabelMagic, "labels");
        int count = ReadPositive(path, header, 4, "label count");
        return ReadBody(path, source, header.Length, 8L + count, plainLength, actual =>
            $"IDX label file '{path}' should hold {count} labels ({8L + count} bytes) but has {actual} bytes; it is truncated or corrupt.");
    }

    private static Stream Open(string path, out long? plainLength)
    {
        FileStream file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        plainLength = gzipped ? null : file.Length;
        return gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static byte[] ReadHeader(string path, Stream source, int length, int magic, string what)
    {
        var header = new byte[length];
        int read = Read(path, source, header);
        if (read < length)
        {
            throw new InvalidDataException($"IDX file '{path}' is {read} bytes long, shorter than its {length}-byte header.");
        }

        RequireMagic(path, header, magic, what);
        return header;
    }

    // The header says how long the body is, so it is read straight into an array of that size: no growing buffer
    // and no copies (for Fashion-MNIST's training images that was three extra copies of 47 MB). Only a plain file's
    // length is known before reading; a gzipped one is checked as it is inflated.
    private static byte[] ReadBody(string path, Stream source, int headerLength, long expected, long? plainLength, Func<long, string> wrongLength)
    {
        if (plainLength is { } length && length != expected)
        {
            throw new InvalidDataException(wrongLength(length));
        }

        if (expected - headerLength > Array.MaxLength)
        {
            throw new InvalidDataException(wrongLength(headerLength + CountRemaining(path, source)));
        }

        byte[] body = GC.AllocateUninitializedArray<byte>((int)(expected - headerLength));
        int read = Read(path, source, body);
        long trailing = read < body.Length ? 0 : CountRemaining(path, source);
        return read == body.Length && trailing == 0 ? body : throw new InvalidDataException(wrongLength(headerLength + read + trailing));
    }

    private static int Read(string path, Stream source, byte[] into)
    {
        try
        {
            return source.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException exception)
        {
            throw new InvalidDataException($"IDX file '{path}' is not valid gzip data: {exception.Message}", exception);
        }
    }

    private static long CountRemaining(string path, Stream source)
    {
        var scratch = new byte[81920];
        long total = 0;
        int read;
        while ((read = Read(path, source, scratch)) > 0)
        {
            total += read;
        }

        return total;
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
