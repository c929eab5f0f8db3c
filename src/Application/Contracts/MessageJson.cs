using System.Text.Json;
using System.Text.Json.Serialization;
namespace DurableTrainer.Application.Contracts;

/// <summary>
/// The one set of JSON options for everything that crosses a durable boundary (orchestration input and output,
/// activity messages, custom status) and the HTTP API, so a message reads the same wherever it is seen.
/// </summary>
public static class MessageJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        // The specification's enumerations read as in requests (fashion-mnist, adamw); every other enumeration camelCase.
        options.Converters.Add(SpecificationJson.EnumConverter);
        options.Converters.Add(SpecificationJson.NumberMapConverter);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
