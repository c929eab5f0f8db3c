using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// The shape check of one layer at its JSON path (<c>model.layers[3]</c>): where its type reports a problem (under
/// one of the layer's fields, or the layer itself), whether it has reported one, and where it adds its trainable
/// parameters. Nested layer lists (a residual block's) are walked through it, so their problems carry their nested
/// paths. It also holds the shape rules image layers share.
/// </summary>
public sealed class LayerCheck
{
    private readonly LayerShapes.Walk _walk;
    private readonly int _errorsBefore;

    internal LayerCheck(LayerShapes.Walk walk, string at)
    {
        _walk = walk;
        At = at;
        _errorsBefore = walk.Errors.Count;
    }

    /// <summary>The JSON path of the layer.</summary>
    public string At { get; }

    /// <summary>Whether a problem of this layer (or of a layer nested in it) has been reported.</summary>
    public bool Failed => _walk.Errors.Count > _errorsBefore;

    /// <summary>The problems reported since this check began.</summary>
    internal IEnumerable<ValidationError> Problems => _walk.Errors.Skip(_errorsBefore);

    /// <summary>A check of one layer on its own, outside a model's walk (its path is <c>layer</c>).</summary>
    internal static LayerCheck Alone() => new(new LayerShapes.Walk(), "layer");

    /// <summary>Reports <paramref name="rule"/> under the layer's <paramref name="field"/>, or under the layer itself when it is empty.</summary>
    public void Fail(string field, string rule)
    {
        ArgumentNullException.ThrowIfNull(field);
        _walk.Errors.Add(new ValidationError(field.Length == 0 ? At : $"{At}.{field}", rule));
    }

    /// <summary>A size in [<paramref name="min"/>, <paramref name="max"/>]; one not given reads as 0, so the range check names it.</summary>
    public int Size(int? value, string field, int min, int max)
    {
        int size = value ?? 0;
        if (size < min || size > max)
        {
            Fail(field, $"must be between {min} and {max}");
        }

        return size;
    }

    public void AddParameters(long count) => _walk.Parameters += count;

    /// <summary>Records an embedding layer that a later linear layer may tie its weight to.</summary>
    public void RecordEmbedding(string name, int vocabulary, int width) => _walk.Embeddings[name] = (vocabulary, width);

    /// <summary>The sizes of the embedding layer of that name walked before this layer, or null when there is none.</summary>
    public (int Vocabulary, int Width)? EmbeddingNamed(string name) => _walk.Embeddings.TryGetValue(name, out var sizes) ? sizes : null;

    /// <summary>The number of token ids the data holds, when the model reads token data; null otherwise (or for a layer checked alone).</summary>
    public int? DataVocabulary => _walk.Vocabulary;

    /// <summary>The shape after the nested <paramref name="layers"/> (at <c>{layer}.{field}</c>), or null once one could not take its input.</summary>
    public int[]? Sequence(IReadOnlyList<LayerSpec> layers, int[] input, string field) => _walk.Sequence(layers, input, $"{At}.{field}");

    /// <summary>Whether <paramref name="input"/> is an image [channels, height, width]; reports it when not.</summary>
    public bool IsImage(int[] input, string type)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length == 3)
        {
            return true;
        }

        Fail("", $"{type} expects an image [channels, height, width] but receives {LayerShapes.Describe(input)}");
        return false;
    }

    /// <summary>Whether <paramref name="input"/> is a sequence of vectors [positions, width]; reports it when not.</summary>
    public bool IsSequence(int[] input, string type)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length == 2)
        {
            return true;
        }

        Fail("", $"{type} expects a sequence [positions, width] but receives {LayerShapes.Describe(input)}{(input.Length == 1 ? "; put an embedding layer before it to turn token ids into vectors" : string.Empty)}");
        return false;
    }

    /// <summary>A switch that defaults to <paramref name="absent"/>.</summary>
    public static bool Flag(bool? value, bool absent) => value ?? absent;

    /// <summary>[channels, H', W'] after a square window sliding over an image; null, reported at <c>kernel</c>, when the window does not fit.</summary>
    public int[]? Window(int[] input, int channels, int kernel, int stride, int padding, string type)
    {
        ArgumentNullException.ThrowIfNull(input);
        int height = ((input[1] + (2 * padding) - kernel) / stride) + 1;
        int width = ((input[2] + (2 * padding) - kernel) / stride) + 1;
        if (input[1] + (2 * padding) < kernel || input[2] + (2 * padding) < kernel)
        {
            Fail("kernel", $"{type} kernel {kernel} does not fit the input {LayerShapes.Describe(input)} with padding {padding}");
            return null;
        }

        return [channels, height, width];
    }
}
