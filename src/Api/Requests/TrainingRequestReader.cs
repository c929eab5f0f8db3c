using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api.Requests;

/// <summary>
/// Reads a start request from JSON, checking its shape before binding so that every unknown field, every wrongly
/// typed value and every old flat field is reported at once, each by its JSON path (<c>optimizer.learningRate</c>,
/// <c>model.layers[2].units</c>), instead of stopping at the serializer's first complaint. The fields a section
/// accepts are read from the section's own record, so a new setting needs nothing here.
/// </summary>
public static class TrainingRequestReader
{
    /// <summary>A request is a few hundred bytes (a few kilobytes with declarative layers); anything near this is not a training request.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Deep enough for residual blocks nested to the layer limit; deeper is not a request.</summary>
    public const int MaxDepth = 24;

    private const int MaxStringLength = 256;
    private const int MaxListLength = 1000;

    private static IReadOnlyDictionary<string, Type> Sections => RequestFields.Sections;

    /// <summary>The top-level fields: the run id and the section names.</summary>
    public static IReadOnlyCollection<string> FieldNames => [.. Sections.Keys];

    /// <summary>The fields of a section (or of a layer), by JSON name, with their types.</summary>
    public static IReadOnlyDictionary<string, Type> FieldsOf(Type record) => RequestFields.Of(record);

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
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException exception)
        {
            return (null, [new ValidationError("body", $"must be valid JSON, at most {MaxDepth} levels deep ({Describe(exception)})")]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, [new ValidationError("body", "must be a JSON object")]);
            }

            var errors = new List<ValidationError>();
            JsonObject clean = TopLevel(document.RootElement, errors);
            if (errors.Count > 0)
            {
                return (null, errors);
            }

            return (clean.Deserialize<TrainingRequest>(SpecificationJson.Options) ?? new TrainingRequest(), []);
        }
    }

    private static JsonObject TopLevel(JsonElement root, List<ValidationError> errors)
    {
        var clean = new JsonObject();
        foreach (JsonProperty property in Unique(root, "", errors))
        {
            string name = property.Name;
            if (!Sections.TryGetValue(name, out Type? section))
            {
                errors.Add(new ValidationError(Shorten(name), LegacyRequestFields.RuleFor(name)
                    ?? "is not a known field; known fields are " + string.Join(", ", Sections.Keys)));
                continue;
            }

            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (section == typeof(string))
            {
                if (CheckValue(property.Value, typeof(string), name, errors))
                {
                    clean[name] = JsonValue.Create(property.Value.GetString());
                }

                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ValidationError(name, LegacyRequestFields.RuleForPlainValue(name) ?? $"must be a JSON object (the {name} section)"));
                continue;
            }

            clean[name] = Record(property.Value, section, name, errors);
        }

        return clean;
    }

    private static JsonArray Layers(JsonElement layers, string path, List<ValidationError> errors)
    {
        var clean = new JsonArray();
        int index = 0;
        foreach (JsonElement layer in layers.EnumerateArray())
        {
            string at = $"{path}[{index++}]";
            if (layer.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ValidationError(at, "must be a layer object, such as {\"type\": \"relu\"}"));
                continue;
            }

            clean.Add(Record(layer, typeof(LayerSpec), at, errors));
        }

        return clean;
    }

    /// <summary>
    /// A section or layer: every field known to its record and of its type. Layer lists recurse; a map of numbers
    /// (the model's parameters) takes numbers, and true or false as 1 or 0.
    /// </summary>
    private static JsonObject Record(JsonElement element, Type record, string path, List<ValidationError> errors)
    {
        var clean = new JsonObject();
        IReadOnlyDictionary<string, Type> fields = FieldsOf(record);
        foreach (JsonProperty property in Unique(element, path, errors))
        {
            string at = $"{path}.{property.Name}";
            fields.TryGetValue(property.Name, out Type? type);
            JsonValueKind kind = property.Value.ValueKind;
            if (type == typeof(IReadOnlyList<LayerSpec>) && kind != JsonValueKind.Null)
            {
                if (kind == JsonValueKind.Array)
                {
                    clean[property.Name] = Layers(property.Value, at, errors);
                }
                else
                {
                    errors.Add(new ValidationError(at, "must be a JSON array of layer objects"));
                }
            }
            else if (type == typeof(IReadOnlyList<string>) && kind != JsonValueKind.Null)
            {
                if (kind == JsonValueKind.Array && property.Value.GetArrayLength() <= MaxListLength)
                {
                    clean[property.Name] = Strings(property.Value, at, errors);
                }
                else
                {
                    errors.Add(new ValidationError(at, $"must be a JSON array of at most {MaxListLength} strings, such as [\"colour\", \"city\"]"));
                }
            }
            else if (type == typeof(InitialWeights) && kind != JsonValueKind.Null)
            {
                if (kind == JsonValueKind.Object)
                {
                    clean[property.Name] = Record(property.Value, type, at, errors);
                }
                else
                {
                    errors.Add(new ValidationError(at, "must be a JSON object saying where the weights come from, such as {\"run\": \"run-1\"} or {\"file\": \"weights.pt\"}"));
                }
            }
            else if (type == typeof(IReadOnlyDictionary<string, double>) && kind != JsonValueKind.Null)
            {
                if (kind == JsonValueKind.Object)
                {
                    clean[property.Name] = Numbers(property.Value, at, errors);
                }
                else
                {
                    errors.Add(new ValidationError(at, "must be a JSON object of numbers or true/false, such as {\"hiddenUnits\": 128}"));
                }
            }
            else if (Field(property, fields, path, errors) is { } value)
            {
                clean[property.Name] = value;
            }
        }

        return clean;
    }

    private static JsonArray Strings(JsonElement element, string path, List<ValidationError> errors)
    {
        var clean = new JsonArray();
        int index = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString()!.Length <= MaxStringLength)
            {
                clean.Add(item.GetString());
            }
            else
            {
                errors.Add(new ValidationError($"{path}[{index}]", $"must be a string of at most {MaxStringLength} characters"));
            }

            index++;
        }

        return clean;
    }

    private static JsonObject Numbers(JsonElement element, string path, List<ValidationError> errors)
    {
        var clean = new JsonObject();
        foreach (JsonProperty entry in Unique(element, path, errors))
        {
            switch (entry.Value.ValueKind)
            {
                case JsonValueKind.Number when entry.Value.TryGetDouble(out double number) && double.IsFinite(number):
                    clean[entry.Name] = number;
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    clean[entry.Name] = entry.Value.GetBoolean() ? 1 : 0;
                    break;
                default:
                    errors.Add(new ValidationError($"{path}.{Shorten(entry.Name)}", "must be a finite number, or true or false"));
                    break;
            }
        }

        return clean;
    }

    private static JsonNode? Field(JsonProperty property, IReadOnlyDictionary<string, Type> fields, string path, List<ValidationError> errors)
    {
        string at = $"{path}.{Shorten(property.Name)}";
        if (!fields.TryGetValue(property.Name, out Type? type))
        {
            string section = path.Contains('[', StringComparison.Ordinal) ? "a layer" : path;
            errors.Add(new ValidationError(at, $"is not a known field of {section}; known fields are {string.Join(", ", fields.Keys)}"));
            return null;
        }

        // null means "the default"; it is simply left out.
        return property.Value.ValueKind != JsonValueKind.Null && CheckValue(property.Value, type, at, errors) ? JsonNode.Parse(property.Value.GetRawText()) : null;
    }

    private static bool CheckValue(JsonElement value, Type type, string at, List<ValidationError> errors)
    {
        string? rule = Rule(value, Nullable.GetUnderlyingType(type) ?? type);
        if (rule is not null)
        {
            errors.Add(new ValidationError(at, rule));
        }

        return rule is null;
    }

    private static string? Rule(JsonElement value, Type target)
    {
        if (target == typeof(bool))
        {
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
        }

        if (target == typeof(string) || target.IsEnum)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return "must be a string";
            }

            string text = value.GetString()!;
            if (text.Length > MaxStringLength)
            {
                return $"must be at most {MaxStringLength} characters";
            }

            return target.IsEnum && !Enum.GetNames(target).Any(name => SpecificationNames.Of(name) == text)
                ? "must be one of " + string.Join(", ", Enum.GetNames(target).Select(SpecificationNames.Of))
                : null;
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

    /// <summary>The object's properties, each name once; a repeated name is an error at its path.</summary>
    private static List<JsonProperty> Unique(JsonElement element, string path, List<ValidationError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var properties = new List<JsonProperty>();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (seen.Add(property.Name))
            {
                properties.Add(property);
            }
            else
            {
                errors.Add(new ValidationError(path.Length == 0 ? Shorten(property.Name) : $"{path}.{Shorten(property.Name)}", "must appear only once"));
            }
        }

        return properties;
    }

    private static string Shorten(string name) => name.Length > 64 ? name[..64] + "..." : name;

    private static string Describe(JsonException exception) =>
        exception.LineNumber is { } line ? $"error at line {line + 1}, byte {exception.BytePositionInLine + 1}" : "unreadable";
}
