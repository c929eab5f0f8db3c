using System.Text;
using DurableTrainer.Domain.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Checkpoints;

/// <summary>
/// The bytes of a checkpoint: a header (magic, format version, model description, replica step count) followed by the
/// model's and the optimizer's state in TorchSharp's own format. One <see cref="BinaryWriter"/> carries all of it,
/// left open, because <c>Module.save(Stream)</c> would close the stream after the model.
/// </summary>
public static class CheckpointFormat
{
    public const int FormatVersion = 2;
    private static readonly byte[] Magic = "DTCKPT\r\n"u8.ToArray();

    /// <summary>Writes a checkpoint; without an optimizer it holds only parameters (as the outer momentum buffer does).</summary>
    public static byte[] Write(string modelDescription, long replicaSteps, nn.Module model, OptimizerHelper? optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(modelDescription);
            writer.Write(replicaSteps);
            model.save(writer);
            writer.Write(optimizer is not null);
            optimizer?.save_state_dict(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>Loads state into a freshly built model and optimizer; returns the replica step count it held.</summary>
    public static long Read(CheckpointReference reference, byte[] content, string expectedDescription, nn.Module model, OptimizerHelper? optimizer)
    {
        using var reader = new BinaryReader(new MemoryStream(content, writable: false), Encoding.UTF8);
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("it is not a DurableTrainer checkpoint (bad magic)");
            }

            int version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"it has format version {version}; this build reads version {FormatVersion}");
            }

            string description = reader.ReadString();
            if (description != expectedDescription)
            {
                throw new InvalidDataException($"it holds model '{description}' but the run uses '{expectedDescription}'");
            }

            long replicaSteps = reader.ReadInt64();
            model.load(reader);
            bool hasOptimizer = reader.ReadBoolean();
            if (optimizer is not null)
            {
                if (!hasOptimizer)
                {
                    throw new InvalidDataException("it holds no optimizer state, but training needs it");
                }

                optimizer.load_state_dict(reader);
            }
            return replicaSteps;
        }
        catch (Exception exception) when (exception is EndOfStreamException or InvalidDataException or ArgumentException)
        {
            throw new Application.Ports.CheckpointCorruptException(reference, exception.Message);
        }
    }
}
