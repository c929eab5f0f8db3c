using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;

/// <summary>
/// A small ResNet for images of any size and channel count (ResNet-20 style at the defaults): a 3×3 stem of
/// <c>width</c> channels, then <c>stages</c> stages of <c>blocks</c> basic residual blocks (two 3×3 convolutions with
/// batch norm); each stage after the first doubles the channels and halves height and width, its first block
/// taking a 1×1 projection shortcut. Global average pooling, optional dropout, and a linear layer to the outputs.
/// </summary>
public sealed class ResidualCnnArchitecture : IModelArchitecture
{
    public string Name => "resnet";

    public IReadOnlyList<ModelParameter> Parameters { get; } =
    [
        ModelParameter.Whole("width", 16, 4, 128),
        ModelParameter.Whole("stages", 3, 1, 4),
        ModelParameter.Whole("blocks", 2, 1, 8),
        ModelParameter.Probability("dropout"),
    ];

    public IReadOnlyList<LayerSpec> Layers(ModelArguments arguments, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(shape);
        int width = arguments.Whole("width");
        double dropout = arguments.Real("dropout");
        var layers = new List<LayerSpec>
        {
            new("conv2d", "stem", Channels: width, Kernel: 3, Padding: 1),
            new("batchnorm", "stem_bn"),
            new("relu", "stem_relu"),
        };
        int channels = width;
        for (int stage = 1; stage <= arguments.Whole("stages"); stage++)
        {
            int stageChannels = width << (stage - 1);
            for (int block = 1; block <= arguments.Whole("blocks"); block++)
            {
                int stride = stage > 1 && block == 1 ? 2 : 1;
                IReadOnlyList<LayerSpec>? shortcut = stride != 1 || stageChannels != channels
                    ? [new LayerSpec("conv2d", "conv", Channels: stageChannels, Kernel: 1, Stride: stride), new LayerSpec("batchnorm", "bn")]
                    : null;
                layers.Add(new LayerSpec("residual", $"stage{stage}_block{block}", Layers:
                [
                    new LayerSpec("conv2d", "conv1", Channels: stageChannels, Kernel: 3, Stride: stride, Padding: 1),
                    new LayerSpec("batchnorm", "bn1"),
                    new LayerSpec("relu", "relu1"),
                    new LayerSpec("conv2d", "conv2", Channels: stageChannels, Kernel: 3, Padding: 1),
                    new LayerSpec("batchnorm", "bn2"),
                ], Shortcut: shortcut));
                layers.Add(new LayerSpec("relu", $"stage{stage}_relu{block}"));
                channels = stageChannels;
            }
        }

        layers.Add(new LayerSpec("globalavgpool2d", "pool"));
        if (dropout > 0)
        {
            layers.Add(new LayerSpec("dropout", "drop", P: dropout));
        }

        layers.Add(new LayerSpec("linear", "fc", Units: shape.Outputs));
        return layers;
    }
}
