using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// <c>initStd</c> on a layer with weights: its weight matrices are drawn from N(0, initStd) and its biases start at
/// zero, in place of PyTorch's defaults (uniform by fan-in for linear maps, N(0, 1) for embedding tables). That is
/// GPT-2's initialisation, which nanoGPT uses; <c>residualInitStd</c> gives the projections that write into a
/// transformer's residual stream (attention's <c>proj</c>, the MLP's <c>proj</c>) a standard deviation of their own,
/// nanoGPT's 0.02 / √(2 · layers). Drawn from the generator the model is built under, so a seed fixes them.
/// </summary>
public static class WeightInit
{
    /// <summary>The standard deviation given at <paramref name="field"/>, checked to lie in (0, 1]; reported there otherwise.</summary>
    public static double? Checked(double? std, string field, LayerCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (std is { } value && !(double.IsFinite(value) && value > 0 && value <= 1))
        {
            check.Fail(field, "must be greater than 0 and at most 1 (the standard deviation the weights are drawn with)");
            return null;
        }

        return std;
    }

    /// <summary>Redraws <paramref name="linear"/>'s weight from N(0, std) and zeroes its bias; leaves it as built without a std.</summary>
    public static global::TorchSharp.Modules.Linear Normal(global::TorchSharp.Modules.Linear linear, double? std)
    {
        ArgumentNullException.ThrowIfNull(linear);
        if (std is { } value)
        {
            using (no_grad())
            {
                init.normal_(linear.weight, 0, value);
                if (linear.bias is { } bias)
                {
                    init.zeros_(bias);
                }
            }
        }

        return linear;
    }
}
