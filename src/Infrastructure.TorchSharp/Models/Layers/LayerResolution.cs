using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Gives every layer a name, at every level: its own when it has one, otherwise its type and position
/// (<c>linear3</c>). The names become state-dict keys, so they are fixed at submission and stored with the run.
/// </summary>
public static class LayerNames
{
    public static IReadOnlyList<LayerSpec> Resolve(IReadOnlyList<LayerSpec> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var taken = new HashSet<string>(layers.Where(layer => layer?.Name is not null).Select(layer => layer.Name!), StringComparer.Ordinal);
        var named = new LayerSpec[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            LayerSpec layer = layers[i];
            if (layer is null)
            {
                // Left for the shape check, which reports it by its position.
                named[i] = null!;
                continue;
            }

            string name = layer.Name ?? Unique($"{layer.Type}{i + 1}", taken);
            named[i] = layer with
            {
                Name = name,
                Layers = layer.Layers is null ? null : Resolve(layer.Layers),
                Shortcut = layer.Shortcut is null ? null : Resolve(layer.Shortcut),
            };
        }

        return named;
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
