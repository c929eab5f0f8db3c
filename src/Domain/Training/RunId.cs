using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace DurableTrainer.Domain.Training;

/// <summary>
/// A training run's id: 1 to 63 lower-case letters, digits and inner hyphens, so it is safe as a durable instance id,
/// a blob prefix and a URL segment. Checked once, where text comes in (a request, a route, a sweep's trial); every
/// <see cref="RunId"/> inside is valid. On the wire it is the plain string, as before it was a type.
/// </summary>
[JsonConverter(typeof(RunIdJsonConverter))]
public sealed partial record RunId
{
    public const int MaxLength = 63;

    /// <summary>The rule, worded to follow a field's name in an error message.</summary>
    public const string Rule = "must be 1 to 63 lower-case letters, digits or inner hyphens";

    private RunId(string value) => Value = value;

    public string Value { get; }

    public static bool IsValid([NotNullWhen(true)] string? text) => text is not null && Pattern().IsMatch(text);

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out RunId? id)
    {
        id = IsValid(text) ? new RunId(text) : null;
        return id is not null;
    }

    /// <summary>The id of that text; a <see cref="FormatException"/> stating the rule when it is not one.</summary>
    public static RunId Parse(string text) =>
        TryParse(text, out RunId? id) ? id : throw new FormatException($"'{text}' is not a run id: a run id {Rule}.");

    public override string ToString() => Value;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>Writes a <see cref="RunId"/> as its string and reads it back through <see cref="RunId.Parse"/>, as a value or as a property name.</summary>
public sealed class RunIdJsonConverter : JsonConverter<RunId>
{
    public override RunId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parsed(reader.GetString());

    public override void Write(Utf8JsonWriter writer, RunId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Value);
    }

    public override RunId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parsed(reader.GetString());

    public override void WriteAsPropertyName(Utf8JsonWriter writer, RunId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WritePropertyName(value.Value);
    }

    private static RunId Parsed(string? text) =>
        RunId.TryParse(text, out RunId? id) ? id : throw new JsonException($"'{text}' is not a run id: a run id {RunId.Rule}.");
}
