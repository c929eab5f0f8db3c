using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.TorchScript;

/// <summary>
/// Decides whether bytes are a TorchScript module this executor can train, and says why not in the user's terms:
/// not TorchScript at all, truncated, a forward that takes other than one tensor, fails on the data's shape, returns
/// a tuple or the wrong number of outputs, or has nothing to train. It loads the module and runs one forward pass on
/// a batch of zeros of the data's shape, in eval mode and without gradients.
/// </summary>
public static class TorchScriptInspection
{
    private const int ProbeBatch = 2;
    private const int MaxReasonLength = 400;
    private static readonly byte[] ZipEntry = [0x50, 0x4B, 0x03, 0x04];
    private static readonly byte[] ZipEnd = [0x50, 0x4B, 0x05, 0x06];

    /// <summary>The problems of <paramref name="content"/> under <paramref name="path"/>, and its trainable parameter count when it has none.</summary>
    /// <param name="shape">The data's shape to run forward on; without it only the file itself is checked.</param>
    public static (long Parameters, IReadOnlyList<ValidationError> Errors) Inspect(ReadOnlyMemory<byte> content, string path, DataShape? shape)
    {
        if (!content.Span.StartsWith(ZipEntry))
        {
            return Problem(path, "is not a TorchScript file: it is not the zip archive torch.jit.save writes; save the model with torch.jit.script(model).save(\"net.pt\")");
        }

        if (!HasZipEnd(content.Span))
        {
            return Problem(path, $"is truncated or damaged: its zip archive has no end record ({content.Length} bytes); upload the whole file again");
        }

        jit.ScriptModule module;
        try
        {
            module = jit.load(content.ToArray());
        }
        catch (Exception exception) when (exception is ExternalException or ArgumentException)
        {
            return Problem(path, $"could not be loaded as TorchScript ({Reason(exception)}); a state dict saved with torch.save is not enough: save torch.jit.script(model)");
        }

        using (module)
        using (NewDisposeScope())
        {
            int inputs = module.GetNumberOfInputs();
            if (inputs != 1)
            {
                return Problem(path, $"has a forward that takes {inputs} inputs; it must take one tensor, a batch of examples");
            }

            long parameters = module.parameters().Where(parameter => parameter.requires_grad).Sum(parameter => parameter.numel());
            if (parameters == 0)
            {
                return Problem(path, "has no trainable parameters (none requires a gradient)");
            }

            return shape is null ? (parameters, []) : Probe(module, parameters, path, shape);
        }
    }

    private static (long, IReadOnlyList<ValidationError>) Probe(jit.ScriptModule module, long parameters, string path, DataShape shape)
    {
        long[] batch = [ProbeBatch, .. shape.Input.Select(size => (long)size)];
        string batchShape = LayerShapes.Describe([.. batch.Select(size => (int)size)]);
        string wanted = $"[N, {shape.Outputs}] (one score per output for each of the N examples)";
        object result;
        module.eval();
        try
        {
            using (no_grad())
            {
                result = module.forward(zeros(batch));
            }
        }
        catch (Exception exception) when (exception is ExternalException or ArgumentException or InvalidOperationException)
        {
            return Problem(path, $"fails on a batch of the data's shape {batchShape}: {Reason(exception)}");
        }

        return result switch
        {
            Tensor output when output.shape.SequenceEqual([ProbeBatch, shape.Outputs]) && output.is_floating_point() => (parameters, []),
            Tensor output when !output.is_floating_point() => Problem(path, $"returns a tensor of {output.dtype}; it must return floating-point scores of shape {wanted}"),
            Tensor output => Problem(path, $"returns {LayerShapes.Describe([.. output.shape.Select(size => (int)size)])} for a batch of {batchShape}; the data needs {wanted}"),
            ITuple tuple => Problem(path, $"returns a tuple of {tuple.Length} values; forward must return one tensor of shape {wanted}"),
            Array list => Problem(path, $"returns a list of {list.Length} values; forward must return one tensor of shape {wanted}"),
            _ => Problem(path, $"returns {result?.GetType().Name ?? "nothing"}; forward must return one tensor of shape {wanted}"),
        };
    }

    private static bool HasZipEnd(ReadOnlySpan<byte> content)
    {
        // The end record sits in the last 22 bytes plus at most a 64 KiB comment.
        int from = Math.Max(0, content.Length - (22 + ushort.MaxValue));
        return content[from..].LastIndexOf(ZipEnd) >= 0;
    }

    /// <summary>libtorch's message without its TorchScript traceback: the last line that says what went wrong.</summary>
    private static string Reason(Exception exception)
    {
        string[] lines = exception.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string reason = lines.LastOrDefault(line => line.Contains("Error", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? exception.GetType().Name;
        return reason.Length > MaxReasonLength ? reason[..MaxReasonLength] + "..." : reason;
    }

    private static (long, IReadOnlyList<ValidationError>) Problem(string path, string rule) => (0, [new ValidationError(path, rule)]);
}
