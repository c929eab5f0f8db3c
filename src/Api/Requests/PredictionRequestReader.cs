using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api.Requests;

/// <summary>
/// Reads a prediction job request. Unknown fields are named by their path (<c>output.fromat</c>) before binding, and
/// a wrongly typed value by the path the serializer reports, so a typo is never silently a default.
/// </summary>
public static class PredictionRequestReader
{
    public const int MaxBodyBytes = 16 * 1024;

    private static readonly IReadOnlyDictionary<string, Type> TopLevel = RequestFields.Of(typeof(PredictionRequest));

    public static (PredictionRequest? Request, IReadOnlyList<ValidationError> Errors) Read(ReadOnlySpan<byte> body)
    {
        if (body.Length > MaxBodyBytes)
        {
            return (null, [new ValidationError("body", $"must be at most {MaxBodyBytes} bytes")]);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException)
        {
            return (null, [new ValidationError("body", "must be a JSON object, at most 8 levels deep")]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, [new ValidationError("body", "must be a JSON object: {\"model\": {\"run\": RUN}, \"data\": {\"source\": PATH}}")]);
            }

            var errors = new List<ValidationError>();
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!TopLevel.TryGetValue(property.Name, out Type? type))
                {
                    errors.Add(new ValidationError(property.Name, "is not a known field; known fields are " + string.Join(", ", TopLevel.Keys)));
                }
                else if (property.Value.ValueKind == JsonValueKind.Object && Nullable.GetUnderlyingType(type) is null && type.IsClass && type != typeof(string))
                {
                    IReadOnlyDictionary<string, Type> fields = RequestFields.Of(type);
                    errors.AddRange(property.Value.EnumerateObject()
                        .Where(field => !fields.ContainsKey(field.Name))
                        .Select(field => new ValidationError($"{property.Name}.{field.Name}", "is not a known field; known fields are " + string.Join(", ", fields.Keys))));
                }
            }

            if (errors.Count > 0)
            {
                return (null, errors);
            }

            try
            {
                return (document.RootElement.Deserialize<PredictionRequest>(SpecificationJson.Options) ?? new PredictionRequest(), []);
            }
            catch (JsonException exception)
            {
                string field = exception.Path is { Length: > 2 } path ? path[2..] : "body";
                return (null, [new ValidationError(field, "has a value of the wrong type or an unknown name" + (exception.InnerException?.Message is { } detail ? $" ({detail})" : string.Empty))]);
            }
        }
    }
}
