using System.Text.Json;

namespace DurableTrainer.Infrastructure.Bicep.Tests;

/// <summary>Reading a compiled ARM template, including the templates of the modules nested inside it.</summary>
internal static class ArmTemplate
{
    /// <summary>
    /// Every resource declaration of the given type anywhere in the template. Modules compile to nested deployments
    /// whose templates sit inline, so the search goes through the whole tree; a resource declaration is an object
    /// with both "type" and "apiVersion".
    /// </summary>
    public static IReadOnlyList<JsonElement> ResourcesOfType(JsonElement template, string type)
    {
        var found = new List<JsonElement>();
        Collect(template, type, found);
        return found;
    }

    public static JsonElement Property(this JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            Assert.True(
                current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out current),
                $"Expected property '{string.Join('.', path)}' in:{Environment.NewLine}{element}");
        }

        return current;
    }

    private static void Collect(JsonElement element, string type, List<JsonElement> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (element.TryGetProperty("type", out var typeValue)
                    && typeValue.ValueKind == JsonValueKind.String
                    && element.TryGetProperty("apiVersion", out _)
                    && string.Equals(typeValue.GetString(), type, StringComparison.OrdinalIgnoreCase))
                {
                    found.Add(element);
                }

                foreach (var property in element.EnumerateObject())
                {
                    Collect(property.Value, type, found);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, type, found);
                }

                break;
        }
    }
}
