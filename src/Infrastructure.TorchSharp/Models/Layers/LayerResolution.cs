using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Makes a layer list explicit, at every level: each layer gets a name (its own, or its type and position such as
/// <c>linear3</c>; the names become state-dict keys) and every size its type reads, with the defaults its type
/// declares filled in (conv2d: kernel 3, stride 1, padding 0; pooling: kernel 2, stride = kernel, padding 0; dropout:
/// p 0.5; each in its file in <c>Kinds/</c>). The result is stored with the run, so shapes, the builder, checkpoints
/// and the PyTorch rebuild all read the same values and no default lives anywhere else.
/// </summary>
public static class LayerResolution
{
    public static IReadOnlyList<LayerSpec> Resolve(IReadOnlyList<LayerSpec> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var taken = new HashSet<string>(layers.Where(layer => layer?.Name is not null).Select(layer => layer.Name!), StringComparer.Ordinal);
        var resolved = new LayerSpec[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            LayerSpec layer = layers[i];
            if (layer is null)
            {
                // Left for the shape check, which reports it by its position.
                resolved[i] = null!;
                continue;
            }

            resolved[i] = WithDefaults(layer) with
            {
                Name = layer.Name ?? Unique($"{layer.Type}{i + 1}", taken),
                Layers = layer.Layers is null ? null : Resolve(layer.Layers),
                Shortcut = layer.Shortcut is null ? null : Resolve(layer.Shortcut),
            };
        }

        return resolved;
    }

    /// <summary>The layer with every size its type reads given; sizes it does not read are left as they are.</summary>
    public static LayerSpec WithDefaults(LayerSpec layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return LayerTypes.BuiltIn.Find(layer.Type) is { } type ? type.WithDefaults(layer) : layer;
    }

    private static string Unique(string name, HashSet<string> taken)
    {
        string candidate = name;
        for (int suffix = 2; !taken.Add(candidate); suffix++)
        {
            candidate = $"{name}_{suffix}";
        }

        return candidate;
    }
}
