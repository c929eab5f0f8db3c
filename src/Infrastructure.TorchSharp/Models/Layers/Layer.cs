using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// One layer of a declarative model, typed: its kind's sizes as plain values, read from the stored
/// <see cref="DurableTrainer.Domain.Specification.LayerSpec"/> by its <see cref="LayerType"/> with the defaults
/// filled in. It knows the shape it gives, the parameters it adds and the TorchSharp module it builds. Each kind is
/// one file in <c>Kinds/</c> and one line in <see cref="LayerTypes.BuiltIn"/>.
/// </summary>
public abstract record Layer(string Name)
{
    /// <summary>
    /// The shape this layer gives for <paramref name="input"/> (without the batch dimension), adding its trainable
    /// parameters to <paramref name="check"/>; or null after reporting to the check why it cannot take the input.
    /// Null too when the check already holds a problem of this layer (a size out of range).
    /// </summary>
    public abstract int[]? Output(int[] input, LayerCheck check);

    /// <summary>
    /// The module for this layer receiving <paramref name="input"/>. It is registered under the layer's name, so its
    /// parameters' state-dict keys are <c>{name}.*</c>; nested layer lists are built with <see cref="LayerBuild.Stack"/>.
    /// </summary>
    public abstract Module<Tensor, Tensor> Build(int[] input, LayerBuild build);

    /// <summary>
    /// Adds this layer to an ONNX graph as standard operators (opset <see cref="Export.Onnx.OnnxGraph.Opset"/>), from
    /// the value <paramref name="input"/> of shape <paramref name="shape"/> (without the batch dimension), taking its
    /// weights by their state-dict keys; returns its output's value name. The eval-mode computation: what
    /// <see cref="Build"/>'s module computes after <c>eval()</c>.
    /// </summary>
    public abstract string ToOnnx(Export.Onnx.OnnxGraph graph, string input, int[] shape);

    /// <summary>
    /// Whether this layer itself (not the layers nested in it) draws random numbers in training, so that the step
    /// must seed its generator.
    /// </summary>
    public virtual bool DrawsRandomNumbers => false;
}
