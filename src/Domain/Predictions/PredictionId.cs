using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Predictions;

/// <summary>
/// A batch prediction job's id. It is the job's durable instance id and the folder its output goes to, so it follows
/// a run id's rule (and shares their namespace: a job cannot take a run's id). On the wire it is the plain string.
/// </summary>
[JsonConverter(typeof(PredictionIdJsonConverter))]
public sealed record PredictionId
{
    private PredictionId(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out PredictionId? id)
    {
        id = RunId.IsValid(text) ? new PredictionId(text) : null;
        return id is not null;
    }

    /// <summary>The id of that text; a <see cref="FormatException"/> stating the rule when it is not one.</summary>
    public static PredictionId Parse(string text) =>
        TryParse(text, out PredictionId? id) ? id : throw new FormatException($"'{text}' is not a prediction id: a prediction id {RunId.Rule}.");

    public override string ToString() => Value;
}

/// <summary>Writes a <see cref="PredictionId"/> as its string and reads it back through <see cref="PredictionId.Parse"/>.</summary>
public sealed class PredictionIdJsonConverter : JsonConverter<PredictionId>
{
    public override PredictionId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PredictionId.TryParse(reader.GetString(), out PredictionId? id) ? id : throw new JsonException($"'{reader.GetString()}' is not a prediction id: a prediction id {RunId.Rule}.");

    public override void Write(Utf8JsonWriter writer, PredictionId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Value);
    }
}
