using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;
using DurableTrainer.Domain.Specification;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Initialization;

/// <summary>The two kinds of weights file a run can start from.</summary>
public enum WeightsFileFormat
{
    /// <summary>What <c>torch.save(model.state_dict(), f)</c> writes: a zip archive holding a pickled dictionary and the tensors' storages.</summary>
    PyTorchStateDict,

    /// <summary>Hugging Face's safetensors: an 8-byte header length, a JSON header, the raw tensors.</summary>
    Safetensors,
}

/// <summary>
/// Tells weights files from TorchScript files and reads them into tensors by state-dict key. Every refusal says, in
/// the user's terms, what the file is instead and how to save what is wanted.
/// </summary>
public static class WeightsFile
{
    private const int MaxReasonLength = 300;
    private static readonly byte[] ZipEntry = [0x50, 0x4B, 0x03, 0x04];

    /// <summary>The file's format, or null when it is neither kind (TorchScript, or anything else).</summary>
    public static WeightsFileFormat? Detect(ReadOnlyMemory<byte> content)
    {
        ReadOnlySpan<byte> bytes = content.Span;
        if (bytes.Length >= 10 && bytes[8] == (byte)'{')
        {
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (headerLength >= 2 && headerLength <= (ulong)(bytes.Length - 8))
            {
                return WeightsFileFormat.Safetensors;
            }
        }

        return bytes.StartsWith(ZipEntry) && IsPickledArchive(content) ? WeightsFileFormat.PyTorchStateDict : null;
    }

    /// <summary>The problems of a weights file under <paramref name="path"/>; none when it reads as a dictionary of tensors.</summary>
    public static IReadOnlyList<ValidationError> Check(ReadOnlyMemory<byte> content, string path)
    {
        using (NewDisposeScope())
        {
            try
            {
                Dictionary<string, Tensor> tensors = Read(content.ToArray());
                return tensors.Count == 0 ? [new ValidationError(path, "is a state dict without any tensor; save model.state_dict() of a model with parameters")] : [];
            }
            catch (InvalidDataException problem)
            {
                return [new ValidationError(path, problem.Message)];
            }
        }
    }

    /// <summary>
    /// The file's tensors by key, in the caller's dispose scope. Throws <see cref="InvalidDataException"/> saying
    /// what the file is when it is not a state dict of tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Read(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Detect(content) switch
        {
            WeightsFileFormat.Safetensors => ReadSafetensors(content),
            WeightsFileFormat.PyTorchStateDict => ReadStateDict(content),
            _ => throw new InvalidDataException(content.AsSpan().StartsWith(ZipEntry)
                ? "is a TorchScript file or another zip archive, not weights: train a TorchScript file as model.file, or save torch.save(model.state_dict(), f) to start from its weights"
                : "is not a weights file: save torch.save(model.state_dict(), f) or a .safetensors file"),
        };
    }

    private static Dictionary<string, Tensor> ReadSafetensors(byte[] content)
    {
        try
        {
            return Safetensors.LoadStateDict(new MemoryStream(content, writable: false), leaveOpen: false, keysToKeep: null);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidDataException($"could not be read as safetensors ({Reason(exception)})");
        }
    }

    private static Dictionary<string, Tensor> ReadStateDict(byte[] content)
    {
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(new MemoryStream(content, writable: false), leaveOpen: false, skipTensorRead: false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"is a torch.save file but not a state dict of tensors ({Reason(exception)}); torch.save(model) pickles the Python class: save torch.save(model.state_dict(), f)");
        }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            string key = entry.Key as string ?? throw new InvalidDataException($"holds a key {entry.Key} that is not text; a state dict's keys are parameter names");
            tensors[key] = entry.Value as Tensor ?? throw new InvalidDataException(
                $"holds '{key}', which is {Describe(entry.Value)} rather than a tensor; a training checkpoint of several parts? save model.state_dict() alone");
        }

        return tensors;
    }

    // torch.save's archive holds "<name>/data.pkl" and no TorchScript code; torch.jit.save's also holds "<name>/code/...".
    private static bool IsPickledArchive(ReadOnlyMemory<byte> content)
    {
        // The zip's directory is read in place: a file of up to 64 MiB is not copied to be looked at.
        using Stream stream = MemoryMarshal.TryGetArray(content, out ArraySegment<byte> segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            bool pickle = false;
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                if (entry.FullName.Contains("/code/", StringComparison.Ordinal) || entry.FullName.EndsWith("constants.pkl", StringComparison.Ordinal))
                {
                    return false;
                }

                pickle |= entry.FullName == "data.pkl" || entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal);
            }

            return pickle;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        IDictionary => "a dictionary",
        IList => "a list",
        _ => value.GetType().Name,
    };

    private static string Reason(Exception exception)
    {
        string reason = exception.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? exception.GetType().Name;
        return reason.Length > MaxReasonLength ? reason[..MaxReasonLength] + "..." : reason;
    }
}
