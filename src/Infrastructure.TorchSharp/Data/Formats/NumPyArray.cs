using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// One array in NumPy's <c>.npy</c> format (versions 1 to 3), as numbers: little-endian booleans, integers and
/// floats of any shape in C order. Anything else (text, objects, complex numbers, big-endian, Fortran order) is an
/// error naming the dtype, since reading it as numbers would silently be wrong. Values are decoded when first asked
/// for: features go straight to float32 (<see cref="ToSingles"/>) without a float64 copy of the whole array.
/// </summary>
public sealed partial class NumPyArray
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private readonly byte[]? _data;
    private readonly int _width;
    private readonly Func<ReadOnlySpan<byte>, double>? _read;
    private double[]? _values;

    public NumPyArray(int[] shape, double[] values, string dtype)
    {
        Shape = shape;
        Dtype = dtype;
        _values = values;
    }

    private NumPyArray(int[] shape, string dtype, byte[] data, int width, Func<ReadOnlySpan<byte>, double> read)
    {
        Shape = shape;
        Dtype = dtype;
        _data = data;
        _width = width;
        _read = read;
    }

    public int[] Shape { get; }

    public string Dtype { get; }

    /// <summary>Every value as float64, in C order.</summary>
    public double[] Values => _values ??= Decode();

    /// <summary>Every value as float32, in C order: a copy of float32 data, a widening of bytes, else through <see cref="Values"/>.</summary>
    public float[] ToSingles()
    {
        if (_values is null && _data is not null && BitConverter.IsLittleEndian)
        {
            switch (Dtype)
            {
                case "<f4":
                    return MemoryMarshal.Cast<byte, float>(_data.AsSpan()).ToArray();
                case "|u1" or "<u1":
                    var widened = new float[_data.Length];
                    for (int i = 0; i < widened.Length; i++)
                    {
                        widened[i] = _data[i];
                    }

                    return widened;
            }
        }

        return Array.ConvertAll(Values, value => (float)value);
    }

    private double[] Decode()
    {
        var values = new double[_data!.Length / _width];
        ReadOnlySpan<byte> data = _data;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = _read!(data.Slice(i * _width, _width));
        }

        return values;
    }

    public long Count => Shape.Length == 0 ? 1 : Shape.Aggregate(1L, (product, size) => product * size);

    public static NumPyArray Parse(string file, ReadOnlySpan<byte> content)
    {
        if (content.Length < 10 || !content[..6].SequenceEqual(Magic))
        {
            throw DataFormatException.At(file, "at byte 0", "not a NumPy .npy file (it does not start with \\x93NUMPY)");
        }

        int major = content[6];
        int headerStart = major == 1 ? 10 : 12;
        if (major is < 1 or > 3 || content.Length < headerStart)
        {
            throw DataFormatException.At(file, "at byte 6", $"npy format version {major} is not supported (1 to 3 are)");
        }

        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(content[8..]) : (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(content[8..]), int.MaxValue);
        if (headerLength > content.Length - headerStart)
        {
            throw DataFormatException.At(file, "header", "the file is truncated: its header runs past the end");
        }

        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(content.Slice(headerStart, headerLength));
        string dtype = Field(file, header, DescrPattern(), "descr");
        if (Field(file, header, FortranPattern(), "fortran_order") == "True")
        {
            throw DataFormatException.At(file, "header", "arrays in Fortran order are not supported; save it with numpy.ascontiguousarray first");
        }

        int[] shape = Field(file, header, ShapePattern(), "shape")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(size => int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : throw DataFormatException.At(file, "header", $"the shape size '{size}' is not a whole number"))
            .ToArray();
        (int width, Func<ReadOnlySpan<byte>, double> read) = Reader(file, dtype);
        long count = shape.Aggregate(1L, (product, size) => product * size);
        ReadOnlySpan<byte> data = content[(headerStart + headerLength)..];
        if (count * width > data.Length)
        {
            throw DataFormatException.At(file, "data", $"the file is truncated: shape ({string.Join(", ", shape)}) of {dtype} needs {count * width} bytes of data but {data.Length} follow the header");
        }

        if (count > Array.MaxLength)
        {
            throw DataFormatException.At(file, "header", $"the array holds {count} values, more than one worker can hold");
        }

        return new NumPyArray(shape, dtype, data[..(int)(count * width)].ToArray(), width, read);
    }

    private static (int Width, Func<ReadOnlySpan<byte>, double> Read) Reader(string file, string dtype) => dtype switch
    {
        "<f4" => (4, bytes => BinaryPrimitives.ReadSingleLittleEndian(bytes)),
        "<f8" => (8, bytes => BinaryPrimitives.ReadDoubleLittleEndian(bytes)),
        "<f2" => (2, bytes => (double)BinaryPrimitives.ReadHalfLittleEndian(bytes)),
        "|u1" or "<u1" => (1, bytes => bytes[0]),
        "|i1" or "<i1" => (1, bytes => (sbyte)bytes[0]),
        "|b1" or "<b1" => (1, bytes => bytes[0] != 0 ? 1 : 0),
        "<i2" => (2, bytes => BinaryPrimitives.ReadInt16LittleEndian(bytes)),
        "<u2" => (2, bytes => BinaryPrimitives.ReadUInt16LittleEndian(bytes)),
        "<i4" => (4, bytes => BinaryPrimitives.ReadInt32LittleEndian(bytes)),
        "<u4" => (4, bytes => BinaryPrimitives.ReadUInt32LittleEndian(bytes)),
        "<i8" => (8, bytes => BinaryPrimitives.ReadInt64LittleEndian(bytes)),
        "<u8" => (8, bytes => BinaryPrimitives.ReadUInt64LittleEndian(bytes)),
        _ => throw DataFormatException.At(file, "header", $"the dtype '{dtype}' is not supported; use little-endian bool, integers or floats (<f4, <f8, <i8, |u1, ...)"),
    };

    private static string Field(string file, string header, Regex pattern, string name)
    {
        Match match = pattern.Match(header);
        return match.Success ? match.Groups[1].Value : throw DataFormatException.At(file, "header", $"the header has no readable '{name}'");
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
