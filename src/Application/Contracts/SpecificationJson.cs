using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// How the run specification reads and writes as JSON wherever it appears (requests, orchestration input, status):
/// camelCase fields, and the specification's enumerations spelled as <see cref="SpecificationNames"/> says
/// (<c>fashion-mnist</c>, <c>adamw</c>, <c>cosine-with-warmup</c>).
/// </summary>
public static class SpecificationJson
{
    public static JsonNamingPolicy EnumNaming { get; } = new SpecificationEnumNaming();

    /// <summary>Converts the enumerations of the specification (the Domain's Kinds namespace) and nothing else.</summary>
    public static JsonConverterFactory EnumConverter { get; } = new SpecificationEnumConverter();

    /// <summary>A map of numbers (the model's parameters) reads true and false as 1 and 0, as requests write switches.</summary>
    public static JsonConverter NumberMapConverter { get; } = new NumberMap();

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(EnumConverter);
        options.Converters.Add(NumberMapConverter);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class SpecificationEnumNaming : JsonNamingPolicy
    {
        public override string ConvertName(string name) => SpecificationNames.Of(name);
    }

    private sealed class SpecificationEnumConverter : JsonConverterFactory
    {
        private static readonly JsonStringEnumConverter Inner = new(new SpecificationEnumNaming(), allowIntegerValues: false);

        public override bool CanConvert(Type typeToConvert) =>
            typeToConvert.IsEnum && typeToConvert.Namespace == typeof(OptimizerKind).Namespace;

        public override JsonConverter? CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            Inner.CreateConverter(typeToConvert, options);
    }

    private sealed class NumberMap : JsonConverter<IReadOnlyDictionary<string, double>>
    {
        public override IReadOnlyDictionary<string, double>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("must be a JSON object of numbers or true/false");
            }

            var map = new Dictionary<string, double>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string name = reader.GetString()!;
                reader.Read();
                map[name] = reader.TokenType switch
                {
                    JsonTokenType.Number => reader.GetDouble(),
                    JsonTokenType.True => 1,
                    JsonTokenType.False => 0,
                    _ => throw new JsonException($"{name} must be a number, or true or false"),
                };
            }

            return map;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, double> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach ((string name, double number) in value)
            {
                writer.WriteNumber(name, number);
            }

            writer.WriteEndObject();
        }
    }
}
