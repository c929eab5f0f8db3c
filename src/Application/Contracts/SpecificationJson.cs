using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Domain.Configuration;
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

    /// <summary>Converts the enumerations of the specification (the Domain's configuration namespace) and nothing else.</summary>
    public static JsonConverterFactory EnumConverter { get; } = new SpecificationEnumConverter();

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(EnumConverter);
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
}
