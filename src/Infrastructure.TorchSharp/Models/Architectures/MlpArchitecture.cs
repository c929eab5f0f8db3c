using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;

/// <summary>
/// A multilayer perceptron: flatten, then <c>hiddenLayers</c> × (linear <c>hiddenUnits</c>, optional batch norm,
/// ReLU, optional dropout), then a linear layer to the outputs. Layers fc1..fcN, bn1.., relu1.., drop1...
/// </summary>
public sealed class MlpArchitecture : IModelArchitecture
{
    public string Name => "mlp";

    public IReadOnlyList<ModelParameter> Parameters { get; } =
    [
        ModelParameter.Whole("hiddenUnits", 256, 8, 4096),
        ModelParameter.Whole("hiddenLayers", 1, 1, 8),
        ModelParameter.Flag("batchNorm"),
        ModelParameter.Probability("dropout"),
    ];

    public IReadOnlyList<LayerSpec> Layers(ModelArguments arguments, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(shape);
        int hidden = arguments.Whole("hiddenUnits");
        int count = arguments.Whole("hiddenLayers");
        double dropout = arguments.Real("dropout");
        var layers = new List<LayerSpec> { new("flatten", "flatten") };
        for (int layer = 1; layer <= count; layer++)
        {
            layers.Add(new LayerSpec("linear", $"fc{layer}", Units: hidden));
            if (arguments.Flag("batchNorm"))
            {
                layers.Add(new LayerSpec("batchnorm", $"bn{layer}"));
            }

            layers.Add(new LayerSpec("relu", $"relu{layer}"));
            if (dropout > 0)
            {
                layers.Add(new LayerSpec("dropout", $"drop{layer}", P: dropout));
            }
        }

        layers.Add(new LayerSpec("linear", $"fc{count + 1}", Units: shape.Outputs));
        return layers;
    }
}
