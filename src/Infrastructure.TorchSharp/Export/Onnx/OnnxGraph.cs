using System.Globalization;
using System.Runtime.InteropServices;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Export.Onnx;

/// <summary>
/// An ONNX graph being written from a resolved layer list and a loaded model's state dict. Each layer type adds its
/// own nodes (<see cref="Layer.ToOnnx"/>, beside its module) through <see cref="Node"/>, takes its weights by their
/// state-dict keys with <see cref="Weight"/>, and walks nested layer lists with <see cref="Sequence"/>. Opset
/// <see cref="Opset"/>: what Debian's python3-onnx 1.12 checks, and ONNX Runtime runs.
/// </summary>
public sealed class OnnxGraph
{
    public const int Opset = 17;
    private const int IrVersion = 8;
    private const int FloatType = 1;

    private readonly IReadOnlyDictionary<string, Tensor> _state;
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private string _prefix = string.Empty;

    private OnnxGraph(IReadOnlyDictionary<string, Tensor> state) => _state = state;

    /// <summary>
    /// The model as an ONNX file: one input <c>features</c> [N, ...input] and one output <c>logits</c> [N, outputs],
    /// N dynamic; <paramref name="metadata"/> goes into the model's metadata properties.
    /// </summary>
    public static byte[] Write(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> input, int outputs, IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, string> metadata, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(metadata);
        var graph = new OnnxGraph(state);
        graph._names.Add("features");
        string last = graph.Sequence(layers, "features", [.. input], string.Empty);
        graph.Node("Identity", [last], "logits");
        var body = new ProtoWriter();
        foreach (ProtoWriter node in graph._nodes)
        {
            body.Message(1, node);
        }

        body.String(2, "durabletrainer");
        foreach (ProtoWriter initializer in graph._initializers)
        {
            body.Message(5, initializer);
        }

        body.Message(11, ValueInfo("features", [-1, .. input]));
        body.Message(12, ValueInfo("logits", [-1, outputs]));
        var model = new ProtoWriter()
            .Int(1, IrVersion)
            .String(2, "DurableTrainer")
            .String(3, producerVersion)
            .Message(7, body)
            .Message(8, new ProtoWriter().String(1, string.Empty).Int(2, Opset));
        foreach ((string key, string value) in metadata)
        {
            model.Message(14, new ProtoWriter().String(1, key).String(2, value));
        }

        return model.ToArray();
    }

    /// <summary>
    /// Adds the layers' nodes in order, from <paramref name="input"/> of shape <paramref name="shape"/>; their weights
    /// are under <paramref name="prefix"/> (a residual block's branch: <c>block.layers.</c>). Returns the last output.
    /// </summary>
    public string Sequence(IReadOnlyList<LayerSpec> layers, string input, int[] shape, string prefix)
    {
        ArgumentNullException.ThrowIfNull(layers);
        string outer = _prefix;
        _prefix = prefix;
        try
        {
            foreach (LayerSpec spec in layers)
            {
                Layer layer = LayerTypes.BuiltIn.Read(spec);
                input = layer.ToOnnx(this, input, shape);
                shape = LayerShapes.Infer([spec], shape, "layer").Output ?? throw new ArgumentException($"Layer {spec.Name} does not fit its input.", nameof(layers));
            }

            return input;
        }
        finally
        {
            _prefix = outer;
        }
    }

    /// <summary>The weight whose state-dict key is the current prefix + <paramref name="key"/> (<c>fc1.weight</c>), as an initializer.</summary>
    public string Weight(string key)
    {
        string name = _prefix + key;
        if (!_names.Add(name))
        {
            return name;
        }

        Tensor tensor = _state.TryGetValue(name, out Tensor? found) ? found : throw new InvalidOperationException($"The model has no weight '{name}' for its ONNX graph.");
        using Tensor floats = tensor.to_type(ScalarType.Float32).contiguous();
        float[] values = floats.data<float>().ToArray();
        _initializers.Add(new ProtoWriter()
            .Ints(1, floats.shape)
            .Int(2, FloatType)
            .String(8, name)
            .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan())));
        return name;
    }

    /// <summary>A float32 constant of shape [] (a scalar), for arithmetic in decomposed operators.</summary>
    public string Constant(float value)
    {
        string name = Fresh("const_" + value.ToString("R", CultureInfo.InvariantCulture).Replace('.', '_').Replace('-', 'm'));
        _initializers.Add(new ProtoWriter().Int(2, FloatType).String(8, name).Bytes(9, BitConverter.GetBytes(value)));
        return name;
    }

    /// <summary>Adds a node of <paramref name="op"/> and returns its output, named after <paramref name="output"/> (made unique).</summary>
    public string Node(string op, IReadOnlyList<string> inputs, string output, params OnnxAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string name = Fresh(output);
        var node = new ProtoWriter();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }

        node.String(2, name).String(3, name).String(4, op);
        foreach (OnnxAttribute attribute in attributes)
        {
            node.Message(5, attribute.Write());
        }

        _nodes.Add(node);
        return name;
    }

    /// <summary>A value name for a layer's output: the layer's state-dict path, made unique.</summary>
    public string Output(string layerName) => _prefix + layerName;

    private string Fresh(string name)
    {
        string candidate = name;
        for (int n = 1; !_names.Add(candidate); n++)
        {
            candidate = $"{name}_{n}";
        }

        return candidate;
    }

    private static ProtoWriter ValueInfo(string name, long[] shape)
    {
        var dims = new ProtoWriter();
        foreach (long size in shape)
        {
            dims.Message(1, size < 0 ? new ProtoWriter().String(2, "N") : new ProtoWriter().Int(1, size));
        }

        var tensorType = new ProtoWriter().Int(1, FloatType).Message(2, dims);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}

/// <summary>One attribute of an ONNX node: an int, a float or a list of ints.</summary>
public sealed record OnnxAttribute(string Name, long? Int = null, float? Float = null, IReadOnlyList<long>? Ints = null)
{
    public static OnnxAttribute Of(string name, long value) => new(name, Int: value);

    public static OnnxAttribute Of(string name, float value) => new(name, Float: value);

    public static OnnxAttribute Of(string name, params long[] values) => new(name, Ints: values);

    internal ProtoWriter Write()
    {
        var attribute = new ProtoWriter().String(1, Name);
        if (Float is { } f)
        {
            return attribute.Float(2, f).Int(20, 1);
        }

        if (Ints is { } ints)
        {
            return attribute.Ints(8, ints).Int(20, 7);
        }

        return attribute.Int(3, Int ?? 0).Int(20, 2);
    }
}
