using System.Globalization;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// Everything that fixes a model's shape: the registry name and its size parameters. It is written into every
/// checkpoint, and a checkpoint only loads into a model built from an equal spec.
/// </summary>
public sealed record ModelSpec(string Name, int HiddenUnits, int HiddenLayers, int ConvChannels, bool BatchNorm, double Dropout)
{
    public const int InputChannels = 1;
    public const int InputHeight = Data.ImageSplit.Height;
    public const int InputWidth = Data.ImageSplit.Width;
    public const int Classes = Data.ImageSplit.Classes;

    public static ModelSpec From(TrainingRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        // Only the parameters the architecture reads take part, so an MLP's spec ignores convChannels and vice versa.
        return recipe.Model switch
        {
            ModelArchitecture.Mlp => new ModelSpec("mlp", recipe.HiddenUnits, recipe.HiddenLayers, 0, recipe.BatchNorm, recipe.Dropout),
            ModelArchitecture.Cnn => new ModelSpec("cnn", CnnHiddenUnits(recipe.ConvChannels), 1, recipe.ConvChannels, recipe.BatchNorm, recipe.Dropout),
            _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe.Model, "Unknown model architecture."),
        };
    }

    /// <summary>The CNN's fully connected layer is four times its first convolution's width (128 at the default 32).</summary>
    public static int CnnHiddenUnits(int convChannels) => 4 * convChannels;

    /// <summary>A canonical one-line form, stored in checkpoints and compared on load.</summary>
    public string Describe() => Name switch
    {
        "mlp" => string.Create(CultureInfo.InvariantCulture, $"mlp(in={InputHeight * InputWidth}, hidden={HiddenUnits}x{HiddenLayers}, out={Classes}, batchNorm={BatchNorm}, dropout={Dropout:R})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"cnn(channels={ConvChannels}-{2 * ConvChannels}, hidden={HiddenUnits}, out={Classes}, batchNorm={BatchNorm}, dropout={Dropout:R})"),
    };

    public override string ToString() => Describe();
}
