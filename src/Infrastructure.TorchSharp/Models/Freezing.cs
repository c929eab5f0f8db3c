using DurableTrainer.Domain.Specification;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// <c>model.freeze</c>: the parameters under the named layers get no gradient (so no optimizer state: the optimizer
/// is built over the trainable ones only), and in training the frozen layers run in eval mode, so that their batch
/// norm keeps its running statistics and their dropout is off, as a frozen backbone is used in PyTorch.
/// </summary>
public static class Freezing
{
    /// <summary>Stops the gradients of the parameters under <paramref name="freeze"/>; returns how many parameters (tensors) it froze.</summary>
    public static int Apply(nn.Module model, IReadOnlyList<string>? freeze)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (freeze is not { Count: > 0 })
        {
            return 0;
        }

        int frozen = 0;
        foreach ((string key, var parameter) in model.named_parameters())
        {
            if (LayerNames.MatchesAny(key, freeze))
            {
                parameter.requires_grad = false;
                frozen++;
            }
        }

        return frozen;
    }

    /// <summary>After <c>model.train()</c>: puts the frozen layers back in eval mode.</summary>
    public static void HoldInEvalMode(nn.Module model, IReadOnlyList<string>? freeze)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (freeze is not { Count: > 0 })
        {
            return;
        }

        foreach ((string name, nn.Module module) in model.named_modules())
        {
            if (name.Length > 0 && LayerNames.MatchesAny(name, freeze))
            {
                module.eval();
            }
        }
    }

    /// <summary>The parameters an optimizer trains: those not frozen.</summary>
    public static IReadOnlyList<Parameter> Trainable(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [.. model.parameters().Where(parameter => parameter.requires_grad)];
    }

    /// <summary>Names in <c>model.freeze</c> that match no parameter, and a freeze that leaves nothing to train.</summary>
    public static IReadOnlyList<ValidationError> Problems(nn.Module model, IReadOnlyList<string>? freeze)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (freeze is not { Count: > 0 })
        {
            return [];
        }

        string[] keys = [.. model.named_parameters().Select(entry => entry.name)];
        var errors = new List<ValidationError>();
        for (int i = 0; i < freeze.Count; i++)
        {
            if (!keys.Any(key => LayerNames.Matches(key, freeze[i])))
            {
                string layers = string.Join(", ", keys.Select(key => key[..Math.Max(0, key.LastIndexOf('.'))]).Where(layer => layer.Length > 0).Distinct().Take(16));
                errors.Add(new ValidationError($"{ModelSection.Path}.freeze[{i}]", $"'{freeze[i]}' is not a layer with parameters; the model's are {layers}"));
            }
        }

        if (errors.Count == 0 && keys.All(key => LayerNames.MatchesAny(key, freeze)))
        {
            errors.Add(new ValidationError($"{ModelSection.Path}.freeze", "freezes every parameter of the model, which leaves nothing to train; freeze the backbone and leave a head"));
        }

        return errors;
    }
}
