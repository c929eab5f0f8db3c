using System.Globalization;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Walks a declarative layer list from the input shape (without the batch dimension), checking every layer's
/// type, sizes and fit, and reports each problem under its JSON path (<c>model.layers[3].units</c>) with the shape
/// that layer received. Nothing is built: this runs at submission.
/// </summary>
public static class LayerShapes
{
    public const int MaxLayers = 64;
    public const int MaxDepth = 4;
    public const long MaxParameters = 100_000_000;
    public const int MaxUnits = 65_536;
    public const int MaxChannels = 4096;
    public const int MaxKernel = 64;

    public static readonly IReadOnlyList<string> Types =
        ["linear", "conv2d", "maxpool2d", "avgpool2d", "globalavgpool2d", "batchnorm", "dropout", "relu", "gelu", "tanh", "sigmoid", "flatten", "residual"];

    /// <summary>The output shape and trainable parameter count, or the errors.</summary>
    public static (int[]? Output, long Parameters, IReadOnlyList<ValidationError> Errors) Infer(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> input, string path)
    {
        var walk = new Walk();
        int total = Count(layers, 1, out int depth);
        if (total > MaxLayers)
        {
            walk.Errors.Add(new ValidationError(path, $"has {total} layers in all; at most {MaxLayers} are allowed"));
        }

        if (depth > MaxDepth)
        {
            walk.Errors.Add(new ValidationError(path, $"nests residual blocks {depth} deep; at most {MaxDepth} levels are allowed"));
        }

        if (walk.Errors.Count > 0)
        {
            return (null, 0, walk.Errors);
        }

        int[]? output = walk.Sequence(layers, [.. input], path);
        if (walk.Parameters > MaxParameters)
        {
            walk.Errors.Add(new ValidationError(path, $"has {walk.Parameters} trainable parameters; at most {MaxParameters} are allowed"));
        }

        return walk.Errors.Count == 0 ? (output, walk.Parameters, []) : (null, 0, walk.Errors);
    }

    public static string Describe(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    private static int Count(IReadOnlyList<LayerSpec>? layers, int level, out int depth)
    {
        depth = layers is null ? 0 : level;
        int count = 0;
        foreach (LayerSpec layer in layers ?? [])
        {
            count++;
            if (layer?.Layers is not null || layer?.Shortcut is not null)
            {
                count += Count(layer.Layers, level + 1, out int bodyDepth) + Count(layer.Shortcut, level + 1, out int shortcutDepth);
                depth = Math.Max(depth, Math.Max(bodyDepth, shortcutDepth));
            }
        }

        return count;
    }

    private sealed class Walk
    {
        public List<ValidationError> Errors { get; } = [];
        public long Parameters { get; private set; }

        /// <summary>The shape after the layers, or null once a layer could not take its input.</summary>
        public int[]? Sequence(IReadOnlyList<LayerSpec> layers, int[] shape, string path)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            int[]? current = shape;
            for (int i = 0; i < layers.Count && current is not null; i++)
            {
                string at = $"{path}[{i}]";
                LayerSpec? layer = layers[i];
                if (layer is null)
                {
                    Errors.Add(new ValidationError(at, "must be a layer object with a type"));
                    return null;
                }

                if (layer.Name is { } name && (!IsPlainName(name) || !names.Add(name)))
                {
                    Errors.Add(new ValidationError(at + ".name", "must be 1 to 32 letters, digits or underscores, starting with a letter, and unique among its neighbours"));
                }

                current = Layer(layer, current, at);
            }

            return current;
        }

        private int[]? Layer(LayerSpec layer, int[] input, string at)
        {
            layer = LayerResolution.WithDefaults(layer);
            int errorsBefore = Errors.Count;
            void Fail(string field, string rule) => Errors.Add(new ValidationError(field.Length == 0 ? at : $"{at}.{field}", rule));
            // Sizes a type requires and were not given read as 0, so the range check names them.
            int Size(int? value, string field, int min, int max)
            {
                int size = value ?? 0;
                if (size < min || size > max)
                {
                    Fail(field, $"must be between {min} and {max}");
                }

                return size;
            }

            string received = Describe(input);
            switch (layer.Type)
            {
                case "linear":
                {
                    int units = Size(layer.Units, "units", 1, MaxUnits);
                    if (input.Length != 1)
                    {
                        Fail("", $"linear expects a flat input [features] but receives {received}; put a flatten layer before it");
                    }

                    if (Errors.Count > errorsBefore)
                    {
                        return null;
                    }

                    Parameters += ((long)input[0] * units) + units;
                    return [units];
                }

                case "conv2d":
                {
                    int channels = Size(layer.Channels, "channels", 1, MaxChannels);
                    int kernel = Size(layer.Kernel, "kernel", 1, MaxKernel);
                    int stride = Size(layer.Stride, "stride", 1, MaxKernel);
                    int padding = Size(layer.Padding, "padding", 0, MaxKernel);
                    if (!IsImage(input, "conv2d", Fail) || Errors.Count > errorsBefore)
                    {
                        return null;
                    }

                    int[]? output = Window(input, channels, kernel, stride, padding, "conv2d", Fail);
                    Parameters += ((long)input[0] * channels * kernel * kernel) + channels;
                    return output;
                }

                case "maxpool2d" or "avgpool2d":
                {
                    int kernel = Size(layer.Kernel, "kernel", 1, MaxKernel);
                    int stride = Size(layer.Stride, "stride", 1, MaxKernel);
                    int padding = Size(layer.Padding, "padding", 0, MaxKernel);
                    if (padding * 2 > kernel)
                    {
                        Fail("padding", "must be at most half of kernel");
                    }

                    if (!IsImage(input, layer.Type, Fail) || Errors.Count > errorsBefore)
                    {
                        return null;
                    }

                    return Window(input, input[0], kernel, stride, padding, layer.Type, Fail);
                }

                case "globalavgpool2d":
                    return IsImage(input, layer.Type, Fail) ? [input[0]] : null;
                case "batchnorm":
                    if (input.Length is not (1 or 3))
                    {
                        Fail("", $"batchnorm expects [features] or [channels, height, width] but receives {received}");
                        return null;
                    }

                    Parameters += 2L * input[0];
                    return input;
                case "dropout":
                    if (layer.P is not { } p || !(double.IsFinite(p) && p >= 0 && p < 1))
                    {
                        Fail("p", "must be at least 0 and less than 1");
                        return null;
                    }

                    return input;
                case "relu" or "gelu" or "tanh" or "sigmoid":
                    return input;
                case "flatten":
                    long features = input.Aggregate(1L, (product, size) => product * size);
                    if (features > MaxUnits * 1024L)
                    {
                        Fail("", $"flatten would give {features} features from {received}; at most {MaxUnits * 1024L}");
                        return null;
                    }

                    return [(int)features];
                case "residual":
                    return Residual(layer, input, at);
                case null:
                    Fail("type", "is required; one of " + string.Join(", ", Types));
                    return null;
                default:
                    Fail("type", $"'{Shorten(layer.Type)}' is not a layer type; one of " + string.Join(", ", Types));
                    return null;
            }
        }

        private int[]? Residual(LayerSpec layer, int[] input, string at)
        {
            if (layer.Layers is not { Count: > 0 } body)
            {
                Errors.Add(new ValidationError(at + ".layers", "must hold the block's layers (at least one)"));
                return null;
            }

            int[]? main = Sequence(body, input, at + ".layers");
            int[]? shortcut = layer.Shortcut is { Count: > 0 } branch ? Sequence(branch, input, at + ".shortcut") : input;
            if (main is null || shortcut is null)
            {
                return null;
            }

            if (!main.SequenceEqual(shortcut))
            {
                Errors.Add(new ValidationError(at, $"residual block's layers give {Describe(main)} but its shortcut gives {Describe(shortcut)} (input {Describe(input)}); they must match to be added, so add a shortcut that maps the input to {Describe(main)}"));
                return null;
            }

            return main;
        }

        private static bool IsImage(int[] input, string type, Action<string, string> fail)
        {
            if (input.Length == 3)
            {
                return true;
            }

            fail("", $"{type} expects an image [channels, height, width] but receives {Describe(input)}");
            return false;
        }

        private static int[]? Window(int[] input, int channels, int kernel, int stride, int padding, string type, Action<string, string> fail)
        {
            int height = ((input[1] + (2 * padding) - kernel) / stride) + 1;
            int width = ((input[2] + (2 * padding) - kernel) / stride) + 1;
            if (input[1] + (2 * padding) < kernel || input[2] + (2 * padding) < kernel)
            {
                fail("kernel", $"{type} kernel {kernel} does not fit the input {Describe(input)} with padding {padding}");
                return null;
            }

            return [channels, height, width];
        }

        private static bool IsPlainName(string name) =>
            name.Length is >= 1 and <= 32 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        private static string Shorten(string text) => text.Length <= 32 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..32]}...");
    }
}
