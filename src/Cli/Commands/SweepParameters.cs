using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Cli.Client;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// Turns <c>--param</c> values into the sweep request's space: <c>PATH=v1,v2,...</c> is a choice (each value read as
/// JSON when it is JSON, so <c>64</c>, <c>true</c> and <c>"x"</c> keep their types, and as text otherwise);
/// <c>PATH=loguniform:LOW:HIGH</c>, <c>uniform:LOW:HIGH</c> and <c>int:LOW:HIGH</c> are ranges.
/// </summary>
public static class SweepParameters
{
    private static readonly string[] Ranges = ["loguniform", "uniform", "int"];

    public static JsonObject Space(IEnumerable<string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var space = new JsonObject();
        foreach (string parameter in parameters)
        {
            int equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == parameter.Length - 1)
            {
                throw CliException.Usage($"--param '{parameter}' must be PATH=v1,v2,... or PATH=loguniform:LOW:HIGH (also uniform:, int:), e.g. --param optimizer.learningRate=0.001,0.01.");
            }

            string path = parameter[..equals].Trim();
            string values = parameter[(equals + 1)..].Trim();
            if (space.ContainsKey(path))
            {
                throw CliException.Usage($"--param names {path} twice.");
            }

            space[path] = Range(path, values) ?? new JsonObject { ["choice"] = new JsonArray([.. values.Split(',').Select(Value)]) };
        }

        return space;
    }

    private static JsonObject? Range(string path, string values)
    {
        string[] parts = values.Split(':');
        if (parts.Length == 0 || !Ranges.Contains(parts[0], StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        if (parts.Length != 3
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double low)
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double high))
        {
            throw CliException.Usage($"--param {path}={values}: a range is {parts[0]}:LOW:HIGH with two numbers, e.g. {path}={parts[0]}:0.0001:0.01.");
        }

        return new JsonObject { [parts[0].ToLowerInvariant()] = new JsonArray(low, high) };
    }

    private static JsonNode? Value(string text)
    {
        string trimmed = text.Trim();
        try
        {
            return JsonNode.Parse(trimmed);
        }
        catch (JsonException)
        {
            return JsonValue.Create(trimmed);
        }
    }
}
