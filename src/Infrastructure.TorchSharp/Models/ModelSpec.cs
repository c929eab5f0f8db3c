using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// A model resolved for its data: the section it came from (architecture and parameters, declarative layers, or a
/// TorchScript file), the data shape, and what it is built from: named layers, or the file's pinned bytes. Its
/// <see cref="Describe"/> form is written into every checkpoint, and a checkpoint only loads into a model with an
/// equal description.
/// </summary>
public sealed record ModelSpec(ModelSection Section, DataShape Shape, IReadOnlyList<LayerSpec> Layers, ModelFileContent? Script = null)
{
    private static readonly JsonSerializerOptions Canonical = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The architecture's name, <c>layers</c> for a declarative model, or <c>torchscript</c>.</summary>
    public string Kind => Section.KindName();

    /// <summary>
    /// Whether training draws random numbers: a layer at any level whose type says it does (dropout with p &gt; 0). A
    /// TorchScript module may hold dropout that cannot be seen from outside, so it always does.
    /// </summary>
    public bool HasDropout => Script is not null || HasDropoutIn(Layers);

    /// <summary>A canonical one-line form: the input shape, outputs, and every layer with its sizes or the file with its SHA-256.</summary>
    public string Describe() => Script is { } script
        ? JsonSerializer.Serialize(new { kind = Kind, input = Shape.Input, outputs = Shape.Outputs, file = script.Name, sha256 = script.Sha256 }, Canonical)
        : JsonSerializer.Serialize(new { kind = Kind, input = Shape.Input, outputs = Shape.Outputs, paddingId = Shape.PaddingId, layers = Layers }, Canonical);

    public override string ToString() => Describe();

    private static bool HasDropoutIn(IReadOnlyList<LayerSpec>? layers) =>
        layers is not null && layers.Any(layer => LayerTypes.BuiltIn.DrawsRandomNumbers(layer) || HasDropoutIn(layer.Layers) || HasDropoutIn(layer.Shortcut));
}
