using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// A model resolved for its data: the section it came from (architecture and parameters, or declarative layers),
/// the data shape, and the named layers it is built from. Its <see cref="Describe"/> form is written into every
/// checkpoint, and a checkpoint only loads into a model with an equal description.
/// </summary>
public sealed record ModelSpec(ModelSection Section, DataShape Shape, IReadOnlyList<LayerSpec> Layers)
{
    private static readonly JsonSerializerOptions Canonical = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The architecture's name, or <c>layers</c> for a declarative model.</summary>
    public string Kind => Section.Architecture ?? "layers";

    public bool HasDropout => HasDropoutIn(Layers);

    /// <summary>A canonical one-line form: the input shape, outputs and every layer with its sizes.</summary>
    public string Describe() => JsonSerializer.Serialize(new { kind = Kind, input = Shape.Input, outputs = Shape.Outputs, layers = Layers }, Canonical);

    public override string ToString() => Describe();

    private static bool HasDropoutIn(IReadOnlyList<LayerSpec>? layers) =>
        layers is not null && layers.Any(layer => (layer.Type == "dropout" && layer.P > 0) || HasDropoutIn(layer.Layers) || HasDropoutIn(layer.Shortcut));
}
