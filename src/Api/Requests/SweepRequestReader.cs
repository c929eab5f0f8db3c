using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Sweeps;

namespace DurableTrainer.Api.Requests;

/// <summary>
/// Reads a sweep request from JSON, reporting every problem at once by its path: the base run through
/// <see cref="TrainingRequestReader"/> (as <c>base.*</c>), each parameter of the space by its path
/// (<c>space[optimizer.learningRate]</c>), and the sweep's own sections by their fields.
/// </summary>
/// <example>
/// <code>
/// {"base": {"training": {"maxSteps": 2000}},
///  "space": {"optimizer.learningRate": {"loguniform": [1e-4, 1e-2]}, "model.parameters.hiddenUnits": {"choice": [64, 128]}},
///  "search": {"method": "random", "trials": 16, "seed": 7},
///  "scheduler": {"kind": "asha", "graceSteps": 250, "reductionFactor": 3},
///  "maxConcurrent": 2}
/// </code>
/// </example>
public static class SweepRequestReader
{
    /// <summary>The base (at most a start request's size) plus a space of long choice lists.</summary>
    public const int MaxBodyBytes = 128 * 1024;

    private const int MaxChoices = 1000;

    private static readonly string[] TopLevel = ["sweepId", "base", "space", "search", "scheduler", "maxConcurrent", "budgetSteps", "trialCheckSeconds"];

    private static readonly string Forms = "must be {\"choice\": [values...]}, {\"uniform\": [low, high]}, {\"loguniform\": [low, high]} or {\"int\": [low, high]} (a bare list is a choice)";

    public static (SweepRequest? Request, IReadOnlyList<ValidationError> Errors) Read(ReadOnlySpan<byte> body)
    {
        if (body.Length > MaxBodyBytes)
        {
            return (null, [new ValidationError("body", $"must be at most {MaxBodyBytes} bytes")]);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.IsEmpty ? "{}"u8.ToArray() : body.ToArray(), new JsonDocumentOptions { MaxDepth = TrainingRequestReader.MaxDepth + 2 });
        }
        catch (JsonException exception)
        {
            return (null, [new ValidationError("body", $"must be valid JSON ({exception.Message.Split('.')[0]})")]);
        }

        using (document)
        {
            return ReadRoot(document.RootElement);
        }
    }

    private static (SweepRequest? Request, IReadOnlyList<ValidationError> Errors) ReadRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, [new ValidationError("body", "must be a JSON object")]);
        }

        var errors = new List<ValidationError>();
        AddUnknownFieldErrors(root, errors);
        string? sweepId = Optional(root, "sweepId", JsonValueKind.String, "must be a string", errors)?.GetString();
        TrainingRequest? baseRequest = Base(root, errors);
        IReadOnlyList<SweepDimension> space = Space(root, errors);
        SearchSection? search = Section<SearchSection>(root, "search", errors);
        SchedulerSection? scheduler = Section<SchedulerSection>(root, "scheduler", errors);
        int maxConcurrent = OptionalInt32(root, "maxConcurrent", 2, errors);
        long? budget = OptionalInt64(root, "budgetSteps", errors);
        int trialCheck = OptionalInt32(root, "trialCheckSeconds", SweepSettings.DefaultTrialCheckSeconds, errors);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new SweepRequest
        {
            SweepId = sweepId,
            Base = baseRequest ?? new TrainingRequest(),
            Space = space,
            Search = search ?? new SearchSection(),
            Scheduler = scheduler ?? new SchedulerSection(),
            MaxConcurrent = maxConcurrent,
            BudgetSteps = budget,
            TrialCheckSeconds = trialCheck,
        }, []);
    }

    private static void AddUnknownFieldErrors(JsonElement root, List<ValidationError> errors)
    {
        foreach (JsonProperty unknown in root.EnumerateObject().Where(property => !TopLevel.Contains(property.Name, StringComparer.Ordinal)))
        {
            errors.Add(new ValidationError(unknown.Name.Length > 64 ? unknown.Name[..64] + "..." : unknown.Name, "is not a known field; known fields are " + string.Join(", ", TopLevel)));
        }
    }

    private static int OptionalInt32(JsonElement root, string name, int fallback, List<ValidationError> errors) =>
        Optional(root, name, JsonValueKind.Number, "must be a whole number", errors) is { } element
            ? element.TryGetInt32(out int value) ? value : Invalid(name, "must be a whole number", errors, fallback)
            : fallback;

    private static long? OptionalInt64(JsonElement root, string name, List<ValidationError> errors) =>
        Optional(root, name, JsonValueKind.Number, "must be a whole number", errors) is { } element
            ? element.TryGetInt64(out long value) ? value : Invalid<long?>(name, "must be a whole number", errors, null)
            : null;

    private static TrainingRequest? Base(JsonElement root, List<ValidationError> errors)
    {
        if (Optional(root, "base", JsonValueKind.Object, "must be a JSON object: the run every trial starts from", errors) is not { } element)
        {
            return null;
        }

        (TrainingRequest? request, IReadOnlyList<ValidationError> baseErrors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(element.GetRawText()));
        errors.AddRange(baseErrors.Select(error => error with { Field = "base." + error.Field }));
        return request;
    }

    private static List<SweepDimension> Space(JsonElement root, List<ValidationError> errors)
    {
        if (Optional(root, "space", JsonValueKind.Object, "must be a JSON object of paths, such as {\"optimizer.learningRate\": {\"loguniform\": [0.0001, 0.01]}}", errors) is not { } space)
        {
            return [];
        }

        var dimensions = new List<SweepDimension>();
        foreach (JsonProperty parameter in space.EnumerateObject())
        {
            string path = parameter.Name.Length > 128 ? parameter.Name[..128] + "..." : parameter.Name;
            if (Dimension(path, parameter.Value) is { } dimension)
            {
                dimensions.Add(dimension);
            }
            else
            {
                errors.Add(new ValidationError(SearchSpace.FieldOf(path), Forms));
            }
        }

        return dimensions;
    }

    private static SweepDimension? Dimension(string path, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            return Choice(path, value);
        }

        if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Count() != 1)
        {
            return null;
        }

        JsonProperty form = value.EnumerateObject().First();
        if (form.Name == "choice")
        {
            return form.Value.ValueKind == JsonValueKind.Array ? Choice(path, form.Value) : null;
        }

        DistributionKind? named = form.Name switch
        {
            "uniform" => DistributionKind.Uniform,
            "loguniform" or "log-uniform" => DistributionKind.LogUniform,
            "int" or "randint" => DistributionKind.Int,
            _ => null,
        };
        if (named is not { } kind
            || form.Value.ValueKind != JsonValueKind.Array || form.Value.GetArrayLength() != 2
            || form.Value.EnumerateArray().Any(bound => bound.ValueKind != JsonValueKind.Number))
        {
            return null;
        }

        double low = form.Value[0].GetDouble();
        double high = form.Value[1].GetDouble();
        return new SweepDimension(new SearchDimension(path, kind, Low: low, High: high));
    }

    private static SweepDimension? Choice(string path, JsonElement values) =>
        values.GetArrayLength() > MaxChoices
            ? null
            : new SweepDimension(new SearchDimension(path, DistributionKind.Choice, ChoiceCount: values.GetArrayLength()), values.EnumerateArray().Select(item => item.GetRawText()).ToArray());

    /// <summary>A section of the sweep's own: its fields come from its record; values are bound by the serializer, type errors reported at the field.</summary>
    private static T? Section<T>(JsonElement root, string name, List<ValidationError> errors)
        where T : class
    {
        if (Optional(root, name, JsonValueKind.Object, $"must be a JSON object (the {name} section)", errors) is not { } section)
        {
            return null;
        }

        IReadOnlyDictionary<string, Type> fields = RequestFields.Of(typeof(T));
        bool known = true;
        foreach (JsonProperty field in section.EnumerateObject().Where(field => !fields.ContainsKey(field.Name)))
        {
            errors.Add(new ValidationError($"{name}.{field.Name}", $"is not a known field of {name}; known fields are {string.Join(", ", fields.Keys)}"));
            known = false;
        }

        if (!known)
        {
            return null;
        }

        try
        {
            return section.Deserialize<T>(SpecificationJson.Options);
        }
        catch (JsonException exception)
        {
            string at = (exception.Path ?? string.Empty).TrimStart('$', '.');
            Type? type = fields.TryGetValue(at, out Type? found) ? Nullable.GetUnderlyingType(found) ?? found : null;
            string rule = type is { IsEnum: true } ? "must be one of " + string.Join(", ", Enum.GetNames(type).Select(SpecificationNames.Of))
                : type == typeof(string) ? "must be a string"
                : type == typeof(double) ? "must be a number"
                : "must be a whole number";
            errors.Add(new ValidationError(at.Length == 0 ? name : $"{name}.{at}", rule));
            return null;
        }
    }

    private static JsonElement? Optional(JsonElement root, string name, JsonValueKind kind, string rule, List<ValidationError> errors)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != kind)
        {
            errors.Add(new ValidationError(name, rule));
            return null;
        }

        return value;
    }

    private static T Invalid<T>(string field, string rule, List<ValidationError> errors, T fallback)
    {
        errors.Add(new ValidationError(field, rule));
        return fallback;
    }
}
