using System.Buffers;
using System.Text;

namespace DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;

/// <summary>
/// The few Protocol Buffers wire encodings an ONNX file needs: varints, 32-bit floats, and length-delimited fields
/// (strings, bytes, nested messages). Fields are written in the order given, which the format allows.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public ProtoWriter Int(int field, long value)
    {
        Tag(field, 0);
        Varint((ulong)value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        _buffer.Write<byte>(bytes);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>A repeated int64 field, packed (parsers take packed and unpacked alike).</summary>
    public ProtoWriter Ints(int field, IEnumerable<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long value in values)
        {
            packed.Varint((ulong)value);
        }

        return Bytes(field, packed.ToArray());
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.Write([(byte)(value | 0x80)]);
            value >>= 7;
        }

        _buffer.Write([(byte)value]);
    }
}
