using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;

/// <summary>
/// The small CNN: conv C (3×3, same padding), optional batch norm, ReLU, 2×2 max pool; the same with 2C; flatten;
/// a fully connected layer of 4C; optional batch norm, ReLU, optional dropout; a linear layer to the outputs
/// (C = <c>convChannels</c>; 32 gives conv32-conv64-fc128).
/// </summary>
public sealed class CnnArchitecture : IModelArchitecture
{
    public string Name => "cnn";

    public IReadOnlyList<ModelParameter> Parameters { get; } =
    [
        ModelParameter.Whole("convChannels", 32, 4, 256),
        ModelParameter.Flag("batchNorm"),
        ModelParameter.Probability("dropout"),
    ];

    public IReadOnlyList<LayerSpec> Layers(ModelArguments arguments, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(shape);
        int channels = arguments.Whole("convChannels");
        bool batchNorm = arguments.Flag("batchNorm");
        double dropout = arguments.Real("dropout");
        var layers = new List<LayerSpec>();
        void Add(LayerSpec layer, bool when = true)
        {
            if (when)
            {
                layers.Add(layer);
            }
        }

        Add(new LayerSpec("conv2d", "conv1", Channels: channels, Kernel: 3, Padding: 1));
        Add(new LayerSpec("batchnorm", "bn1"), batchNorm);
        Add(new LayerSpec("relu", "relu1"));
        Add(new LayerSpec("maxpool2d", "pool1", Kernel: 2));
        Add(new LayerSpec("conv2d", "conv2", Channels: 2 * channels, Kernel: 3, Padding: 1));
        Add(new LayerSpec("batchnorm", "bn2"), batchNorm);
        Add(new LayerSpec("relu", "relu2"));
        Add(new LayerSpec("maxpool2d", "pool2", Kernel: 2));
        Add(new LayerSpec("flatten", "flatten"));
        Add(new LayerSpec("linear", "fc1", Units: 4 * channels));
        Add(new LayerSpec("batchnorm", "bn3"), batchNorm);
        Add(new LayerSpec("relu", "relu3"));
        Add(new LayerSpec("dropout", "drop1", P: dropout), dropout > 0);
        Add(new LayerSpec("linear", "fc2", Units: shape.Outputs));
        return layers;
    }
}
