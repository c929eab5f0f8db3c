using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Sweeps;

/// <summary>
/// Turns a sweep's point into a trial's run request: the base request with each dimension's value written at its
/// path. Paths are checked against the request's own records (<see cref="RequestFields"/>), so a new setting can be
/// swept without any change here: <c>optimizer.learningRate</c>, <c>model.parameters.hiddenUnits</c>,
/// <c>model.layers[1].units</c>.
/// </summary>
public static partial class SweepTrials
{
    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9]*)(?:\[(?<index>\d{1,4})\])?$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();

    /// <summary>Why <paramref name="path"/> names no field a sweep can set, or null when it does.</summary>
    public static string? PathProblem(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "must be a path of the run specification, such as optimizer.learningRate";
        }

        string[] segments = path.Split('.');
        Type? type = null;
        for (int i = 0; i < segments.Length; i++)
        {
            Match match = SegmentPattern().Match(segments[i]);
            if (!match.Success)
            {
                return $"is not a path: '{segments[i]}' must be a field name, with an optional [index] for a list";
            }

            string name = match.Groups["name"].Value;
            bool indexed = match.Groups["index"].Success;
            if (!TryFieldsAt(type, name, indexed, segments, i, out IReadOnlyDictionary<string, Type>? fields, out string? end))
            {
                return end;
            }

            if (!fields.TryGetValue(name, out Type? fieldType))
            {
                return UnknownFieldProblem(segments, i, name, fields);
            }

            type = Nullable.GetUnderlyingType(fieldType) ?? fieldType;
            if (indexed)
            {
                if (ListElement(type) is not { } element)
                {
                    return $"indexes '{name}', which is not a list";
                }

                type = element;
            }
        }

        return null;
    }

    /// <summary>The request of the trial named <paramref name="runId"/>: the base with every dimension's value set, or the problem with the point.</summary>
    public static (TrainingRequest? Request, ValidationError? Error) Materialize(TrainingRequest baseRequest, IReadOnlyList<SweepDimension> space, IReadOnlyList<double> draws, RunId runId)
    {
        ArgumentNullException.ThrowIfNull(baseRequest);
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(draws);
        JsonObject root = JsonSerializer.SerializeToNode(baseRequest, SpecificationJson.Options)!.AsObject();
        for (int d = 0; d < space.Count; d++)
        {
            SearchDimensionPath path = new(space[d].Dimension.Path);
            string value = space[d].JsonOf(draws[d]);
            if (Set(root, path.Segments, JsonNode.Parse(value)) is { } problem)
            {
                return (null, new ValidationError(space[d].Dimension.Field, problem));
            }
        }

        root["runId"] = runId.Value;
        try
        {
            return (root.Deserialize<TrainingRequest>(SpecificationJson.Options) ?? new TrainingRequest(), null);
        }
        catch (JsonException exception)
        {
            string at = (exception.Path ?? string.Empty).TrimStart('$', '.');
            int culprit = space.ToList().FindIndex(dimension => at.StartsWith(dimension.Dimension.Path, StringComparison.OrdinalIgnoreCase)
                || dimension.Dimension.Path.StartsWith(at + ".", StringComparison.OrdinalIgnoreCase));
            return culprit >= 0
                ? (null, new ValidationError(space[culprit].Dimension.Field, $"the value {space[culprit].JsonOf(draws[culprit])} is of the wrong type for {space[culprit].Dimension.Path}"))
                : (null, new ValidationError("space", $"the point {Describe(space, draws)} gives {at} a value of the wrong type"));
        }
    }

    /// <summary>The point's values by path, as JSON: what the sweep's status shows for a trial.</summary>
    public static IReadOnlyDictionary<string, JsonElement> Parameters(IReadOnlyList<SweepDimension> space, IReadOnlyList<double> draws)
    {
        ArgumentNullException.ThrowIfNull(space);
        var parameters = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        for (int d = 0; d < space.Count; d++)
        {
            using JsonDocument value = JsonDocument.Parse(space[d].JsonOf(draws[d]));
            parameters[space[d].Dimension.Path] = value.RootElement.Clone();
        }

        return parameters;
    }

    /// <summary><c>optimizer.learningRate=0.001, model.parameters.hiddenUnits=128</c>.</summary>
    public static string Describe(IReadOnlyList<SweepDimension> space, IReadOnlyList<double> draws) =>
        string.Join(", ", space.Select((dimension, d) => $"{dimension.Dimension.Path}={dimension.JsonOf(draws[d])}"));

    private static string? Set(JsonObject root, IReadOnlyList<(string Name, int? Index)> segments, JsonNode? value)
    {
        JsonNode current = root;
        for (int i = 0; i < segments.Count; i++)
        {
            (string name, int? index) = segments[i];
            bool last = i == segments.Count - 1;
            JsonObject holder = current.AsObject();
            if (index is null)
            {
                if (last)
                {
                    holder[name] = value;
                    return null;
                }

                if (holder[name] is not JsonObject next)
                {
                    next = [];
                    holder[name] = next;
                }

                current = next;
                continue;
            }

            if (holder[name] is not JsonArray list || index >= list.Count)
            {
                return $"indexes {name}[{index}], but the base has {(holder[name] is JsonArray shorter ? shorter.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no")} {name}";
            }

            if (last)
            {
                list[index.Value] = value;
                return null;
            }

            current = list[index.Value] ?? throw new InvalidOperationException($"{name}[{index}] is null.");
        }

        return null;
    }

    /// <summary>
    /// The fields segment <paramref name="i"/> names one of, under <paramref name="type"/> (the request itself when
    /// null). False when the path cannot go on: <paramref name="end"/> is then its problem, or null when the segment
    /// is a map's key, which ends a valid path.
    /// </summary>
    private static bool TryFieldsAt(
        Type? type, string name, bool indexed, string[] segments, int i, [NotNullWhen(true)] out IReadOnlyDictionary<string, Type>? fields, out string? end)
    {
        fields = null;
        end = null;
        if (type is null)
        {
            if (name == "runId")
            {
                end = "cannot be swept: the sweep names each trial's run";
                return false;
            }

            fields = RequestFields.Sections;
        }
        else if (IsMap(type))
        {
            // A map's key is any name (the model's parameters); the value is a leaf.
            end = indexed || i != segments.Length - 1 ? $"goes past a value: '{segments[i - 1]}' maps names to numbers" : null;
            return false;
        }
        else if (IsRecord(type))
        {
            fields = RequestFields.Of(type);
        }
        else
        {
            end = $"goes past a value: '{segments[i - 1]}' has no fields";
            return false;
        }

        return true;
    }

    private static string UnknownFieldProblem(string[] segments, int i, string name, IReadOnlyDictionary<string, Type> fields)
    {
        string where = i == 0 ? "the run specification" : $"'{string.Join('.', segments[..i])}'";
        return $"is not a known path: {where} has no field '{name}'; its fields are {string.Join(", ", fields.Keys.Where(key => key != "runId"))}";
    }

    private static bool IsMap(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>);

    private static Type? ListElement(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    private static bool IsRecord(Type type) => type.IsClass && type != typeof(string) && ListElement(type) is null && !IsMap(type);

    /// <summary>A path split into its segments: names with optional list indices.</summary>
    private readonly struct SearchDimensionPath(string path)
    {
        public IReadOnlyList<(string Name, int? Index)> Segments { get; } = path.Split('.').Select(segment =>
        {
            Match match = SegmentPattern().Match(segment);
            return (match.Groups["name"].Value, match.Groups["index"].Success ? (int?)int.Parse(match.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture) : null);
        }).ToArray();
    }
}
