using System.Security.Cryptography;
using System.Text;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Checkpoints;

/// <summary>
/// The bytes of a checkpoint: magic, format version, <see cref="CheckpointMetadata"/> as JSON, the model's state
/// (parameters and buffers) and optionally the optimizer's, in TorchSharp's own format, and a SHA-256 of all that
/// as a trailer. The hash travels with the bytes, so a truncated or altered checkpoint is caught on load whatever
/// store it came from. One <see cref="BinaryWriter"/> carries all of it, left open, because
/// <c>Module.save(Stream)</c> would close the stream after the model.
/// </summary>
public static class CheckpointFormat
{
    public const int FormatVersion = 3;
    private const int HashLength = 32;
    private static readonly byte[] Magic = "DTCKPT\r\n"u8.ToArray();

    /// <summary>Writes a checkpoint; without an optimizer it holds only the model (as the outer momentum buffer does).</summary>
    /// <param name="capacityHint">The expected size (the previous checkpoint's), to write without regrowing the buffer.</param>
    public static byte[] Write(CheckpointMetadata metadata, nn.Module model, OptimizerHelper? optimizer, int capacityHint = 0)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(model);
        using var buffer = new MemoryStream(capacityHint + 1024);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(metadata.ToJson());
            model.save(writer);
            writer.Write(optimizer is not null);
            optimizer?.save_state_dict(writer);
        }

        byte[] hash = SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.Write(hash);
        return buffer.ToArray();
    }

    /// <summary>Reads only the metadata, after checking the hash.</summary>
    public static CheckpointMetadata ReadMetadata(CheckpointReference reference, byte[] content)
    {
        using BinaryReader reader = Open(reference, content);
        return Guard(reference, () => ReadHeader(reader));
    }

    /// <summary>
    /// Loads state into a freshly built model (and optimizer) after checking the hash, the model spec and the
    /// optimizer; returns the metadata. Any mismatch is a <see cref="CheckpointCorruptException"/> that names the
    /// checkpoint and says why.
    /// </summary>
    public static CheckpointMetadata Read(CheckpointReference reference, byte[] content, string expectedModelSpec, nn.Module model, OptimizerHelper? optimizer, string? expectedOptimizer = null)
    {
        using BinaryReader reader = Open(reference, content);
        return Guard(reference, () =>
        {
            CheckpointMetadata metadata = ReadHeader(reader);
            if (metadata.ModelSpec != expectedModelSpec)
            {
                throw new InvalidDataException($"it holds model {metadata.ModelSpec} but the run uses {expectedModelSpec}");
            }

            model.load(reader);
            bool hasOptimizer = reader.ReadBoolean();
            if (optimizer is not null)
            {
                if (!hasOptimizer)
                {
                    throw new InvalidDataException("it holds no optimizer state, but training needs it");
                }

                if (expectedOptimizer is not null && metadata.Optimizer != expectedOptimizer)
                {
                    throw new InvalidDataException($"it holds {metadata.Optimizer} optimizer state but the run uses {expectedOptimizer}");
                }

                optimizer.load_state_dict(reader);
            }

            return metadata;
        });
    }

    /// <summary>
    /// The model's state as the checkpoint holds it, by state-dict key, without building the model it was written by
    /// (a run that starts from another's weights may differ in its head, or not know the other's data shape). The
    /// tensors belong to the caller's dispose scope.
    /// </summary>
    public static (CheckpointMetadata Metadata, Dictionary<string, Tensor> State) ReadModelState(CheckpointReference reference, byte[] content)
    {
        using BinaryReader reader = Open(reference, content);
        return Guard(reference, () => (ReadHeader(reader), ReadStateDictionary(reader)));
    }

    /// <summary>
    /// TorchSharp's <c>Module.save</c> form: a LEB128 count, then per entry the key and the tensor (LEB128 dtype, rank
    /// and sizes, then the raw elements). Each tensor is made empty at its size and filled by TorchSharp's own loader.
    /// </summary>
    private static Dictionary<string, Tensor> ReadStateDictionary(BinaryReader reader)
    {
        long count = DecodeLeb128(reader);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            string key = reader.ReadString();
            long start = reader.BaseStream.Position;
            var dtype = (ScalarType)DecodeLeb128(reader);
            long rank = DecodeLeb128(reader);
            if (rank is < 0 or > 16)
            {
                throw new InvalidDataException($"its tensor '{key}' claims {rank} dimensions");
            }

            long[] shape = new long[rank];
            for (int d = 0; d < rank; d++)
            {
                shape[d] = DecodeLeb128(reader);
            }

            reader.BaseStream.Position = start;
            Tensor tensor = empty(shape, dtype);
            tensor.Load(reader);
            state[key] = tensor;
        }

        return state;
    }

    private static long DecodeLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte next = reader.ReadByte();
            value |= (long)(next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("it holds a malformed length");
    }

    private static BinaryReader Open(CheckpointReference reference, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length < Magic.Length + HashLength || !content.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CheckpointCorruptException(reference, content.Length < Magic.Length + HashLength
                ? $"it is truncated ({content.Length} bytes)"
                : "it is not a DurableTrainer checkpoint (bad magic)");
        }

        int bodyLength = content.Length - HashLength;
        Span<byte> actual = stackalloc byte[HashLength];
        SHA256.HashData(content.AsSpan(0, bodyLength), actual);
        if (!actual.SequenceEqual(content.AsSpan(bodyLength)))
        {
            throw new CheckpointCorruptException(reference, "it is truncated or altered: the SHA-256 of its content does not match the one it was written with");
        }

        return new BinaryReader(new MemoryStream(content, 0, bodyLength, writable: false), Encoding.UTF8);
    }

    private static CheckpointMetadata ReadHeader(BinaryReader reader)
    {
        reader.ReadBytes(Magic.Length);
        int version = reader.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"it has format version {version}; this build reads version {FormatVersion}");
        }

        return CheckpointMetadata.FromJson(reader.ReadString());
    }

    private static T Guard<T>(CheckpointReference reference, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception exception) when (exception is EndOfStreamException or InvalidDataException or ArgumentException or System.Text.Json.JsonException)
        {
            throw new CheckpointCorruptException(reference, exception.Message);
        }
    }
}
