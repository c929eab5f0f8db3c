using System.Globalization;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Walks a declarative layer list from the input shape (without the batch dimension), checking every layer's
/// type, sizes and fit, and reports each problem under its JSON path (<c>model.layers[3].units</c>) with the shape
/// that layer received. Nothing is built: this runs at submission. The generic rules (names, count, nesting depth,
/// parameter total) live here; each type's sizes and shape rule live in its file in <c>Kinds/</c>, found through
/// <see cref="LayerTypes.BuiltIn"/>.
/// </summary>
public static class LayerShapes
{
    public const int MaxLayers = 64;
    public const int MaxDepth = 4;
    public const long MaxParameters = 100_000_000;
    public const int MaxUnits = 65_536;
    public const int MaxChannels = 4096;
    public const int MaxKernel = 64;
    public const int MaxVocabulary = 1_048_576;
    public const int MaxContext = 65_536;
    public const int MaxHeads = 256;
    public const int MaxRatio = 16;

    /// <summary>
    /// The output shape and trainable parameter count, or the errors. <paramref name="vocabulary"/> is the number of
    /// token ids the data holds, for token data: an embedding must have a row for each.
    /// </summary>
    public static (int[]? Output, long Parameters, IReadOnlyList<ValidationError> Errors) Infer(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> input, string path, int? vocabulary = null)
    {
        var walk = new Walk { Vocabulary = vocabulary };
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

    /// <summary>One walk over a model's layers: the problems found and the parameters counted so far.</summary>
    internal sealed class Walk
    {
        public List<ValidationError> Errors { get; } = [];

        public long Parameters { get; set; }

        /// <summary>The data's token ids, for token data.</summary>
        public int? Vocabulary { get; init; }

        /// <summary>The embedding layers walked so far, by name: a linear layer may tie its weight to one of them.</summary>
        public Dictionary<string, (int Vocabulary, int Width)> Embeddings { get; } = new(StringComparer.Ordinal);

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

                current = Output(layer, current, at);
            }

            return current;
        }

        /// <summary>
        /// The shape one checked layer gives, in a walk that has seen the layers built before it (an output layer
        /// tied to an embedding finds it); throws, naming the layer, when it does not fit.
        /// </summary>
        public int[] OutputOfChecked(LayerSpec layer, int[] input)
        {
            int before = Errors.Count;
            return Output(layer, input, "layer") is { } output && Errors.Count == before
                ? output
                : throw new ArgumentException($"Layer {layer.Name} does not fit its input {Describe(input)}: {string.Join("; ", Errors.Skip(before))}", nameof(layer));
        }

        /// <summary>The layer's type reads its sizes (reporting those out of range) and gives its output shape.</summary>
        private int[]? Output(LayerSpec layer, int[] input, string at)
        {
            var check = new LayerCheck(this, at);
            if (LayerTypes.BuiltIn.Find(layer.Type) is not { } type)
            {
                string known = string.Join(", ", LayerTypes.BuiltIn.Names);
                check.Fail("type", layer.Type is null ? "is required; one of " + known : $"'{Shorten(layer.Type)}' is not a layer type; one of " + known);
                return null;
            }

            return type.Read(layer, check).Output(input, check);
        }

        private static bool IsPlainName(string name) =>
            name.Length is >= 1 and <= 32 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        private static string Shorten(string text) => text.Length <= 32 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..32]}...");
    }
}
