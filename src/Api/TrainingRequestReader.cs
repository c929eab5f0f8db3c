using System.Reflection;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Configuration;

namespace DurableTrainer.Api;

/// <summary>
/// Reads a start request from JSON, checking shape before binding so that every unknown field and every wrongly
/// typed value is reported at once, each by name, instead of stopping at the serializer's first complaint.
/// </summary>
public static class TrainingRequestReader
{
    /// <summary>A request is a few hundred bytes; anything near this is not a training request.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    private static readonly JsonSerializerOptions StrictOptions = new(JsonSerializerDefaults.Web);

    private static readonly Dictionary<string, PropertyInfo> Fields = typeof(TrainingRequest)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .ToDictionary(property => JsonNamingPolicy.CamelCase.ConvertName(property.Name), StringComparer.Ordinal);

    public static IReadOnlyCollection<string> FieldNames => Fields.Keys;

    public static (TrainingRequest? Request, IReadOnlyList<ValidationError> Errors) Read(ReadOnlySpan<byte> body)
    {
        if (body.Length > MaxBodyBytes)
        {
            return (null, [new ValidationError("body", $"must be at most {MaxBodyBytes} bytes")]);
        }

        if (body.IsEmpty)
        {
            // An empty body means "all defaults", like an empty object.
            return (new TrainingRequest(), []);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException exception)
        {
            return (null, [new ValidationError("body", $"must be valid JSON ({Describe(exception)})")]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, [new ValidationError("body", "must be a JSON object")]);
            }

            var errors = new List<ValidationError>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                string name = property.Name.Length > 64 ? property.Name[..64] + "..." : property.Name;
                if (!seen.Add(property.Name))
                {
                    errors.Add(new ValidationError(name, "must appear only once"));
                }
                else if (!Fields.TryGetValue(property.Name, out PropertyInfo? field))
                {
                    errors.Add(new ValidationError(name, "is not a known field; known fields are " + string.Join(", ", Fields.Keys)));
                }
                else if (CheckKind(property.Value, field.PropertyType) is { } rule)
                {
                    errors.Add(new ValidationError(property.Name, rule));
                }
            }

            if (errors.Count > 0)
            {
                return (null, errors);
            }

            return (document.RootElement.Deserialize<TrainingRequest>(StrictOptions) ?? new TrainingRequest(), []);
        }
    }

    private static string? CheckKind(JsonElement value, Type type)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(bool))
        {
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
        }

        if (target == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return "must be a string";
            }

            return value.GetString()!.Length > 256 ? "must be at most 256 characters" : null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            return target == typeof(double) ? "must be a number" : "must be a whole number";
        }

        if (target == typeof(int))
        {
            return value.TryGetInt32(out _) ? null : $"must be a whole number between {int.MinValue} and {int.MaxValue}";
        }

        if (target == typeof(long))
        {
            return value.TryGetInt64(out _) ? null : $"must be a whole number between {long.MinValue} and {long.MaxValue}";
        }

        return value.TryGetDouble(out double number) && double.IsFinite(number) ? null : "must be a finite number";
    }

    private static string Describe(JsonException exception) =>
        exception.LineNumber is { } line ? $"error at line {line + 1}, byte {exception.BytePositionInLine + 1}" : "unreadable";
}
