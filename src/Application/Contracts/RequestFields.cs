using System.Reflection;
using System.Text.Json;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// The JSON fields of the request's records. Sections and layers are positional records, so their constructor's
/// parameters are exactly their fields: what the request reader accepts and what a sweep may vary come from here.
/// </summary>
public static class RequestFields
{
    private static readonly Dictionary<Type, IReadOnlyDictionary<string, Type>> FieldsByType = [];

    /// <summary>The top-level fields of a start request (the run id and the sections), by JSON name.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = typeof(TrainingRequest)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .ToDictionary(property => JsonNamingPolicy.CamelCase.ConvertName(property.Name), property => property.PropertyType, StringComparer.Ordinal);

    /// <summary>The fields of a section (or of a layer), by JSON name, with their types.</summary>
    public static IReadOnlyDictionary<string, Type> Of(Type record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (FieldsByType)
        {
            if (!FieldsByType.TryGetValue(record, out IReadOnlyDictionary<string, Type>? fields))
            {
                ConstructorInfo constructor = record.GetConstructors().OrderByDescending(candidate => candidate.GetParameters().Length).First();
                fields = constructor.GetParameters().ToDictionary(parameter => JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!), parameter => parameter.ParameterType, StringComparer.Ordinal);
                FieldsByType[record] = fields;
            }

            return fields;
        }
    }
}
