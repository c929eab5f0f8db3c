using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using FsCheck.Xunit;

namespace DurableTrainer.Api.Tests;

/// <summary>Fuzzing request parsing and validation with generated input: they answer, they never throw.</summary>
public class RequestParsingPropertyTests
{
    /// <summary>Top-level names: the sections and the run id.</summary>
    private static readonly string[] TopLevel = [.. TrainingRequestReader.FieldNames];

    /// <summary>Top-level names a request must not have: some old flat fields, and names nobody knows.</summary>
    private static readonly string[] OddTopLevel = ["learningRate", "epochs", "hiddenUnits", "optimizer.name", "unknown", "runid", "Training", ""];

    /// <summary>Each section's type, by its JSON name.</summary>
    private static readonly Dictionary<string, Type> SectionTypes = typeof(TrainingRequest)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(property => property.PropertyType != typeof(string))
        .ToDictionary(property => JsonNamingPolicy.CamelCase.ConvertName(property.Name), property => property.PropertyType, StringComparer.Ordinal);

    /// <summary>Texts that are valid somewhere (enumeration spellings, architecture names, layer types), so that generated requests often bind.</summary>
    private static readonly string[] UsefulTexts =
        ["sgd", "adam", "adamw", "synthetic", "fashion-mnist", "cosine-with-warmup", "outer-nesterov", "loss", "min", "mlp", "cnn", "linear", "relu", "flatten", "residual"];

    private static readonly string[] ParameterNames = ["hiddenUnits", "hiddenLayers", "batchNorm", "dropout", "convChannels", "x"];

    [Property(MaxTest = 500)]
    public bool AnyBytes_GiveARequestOrErrorsNeverBoth(byte[] body)
    {
        var (request, errors) = TrainingRequestReader.Read(body);

        return (request is null) == (errors.Count > 0);
    }

    [Property(MaxTest = 500)]
    public bool AnyString_GivesARequestOrErrors(string? text)
    {
        var (request, errors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(text ?? string.Empty));

        return (request is null) == (errors.Count > 0) && errors.All(error => error.Field.Length > 0 && error.Rule.Length > 0);
    }

    [Property(MaxTest = 500)]
    public bool SectionedObjectsOfKnownAndUnknownFieldsWithArbitraryValues_NeverThrowAndValidateConsistently(int[] picks, double[] numbers, string[] texts, bool flag)
    {
        var values = new Values(picks, numbers, texts, flag);
        var json = new JsonObject();
        for (int i = 0; i < Math.Min(picks.Length, 12); i++)
        {
            // Mostly known names, sometimes an odd one; mostly a section object, sometimes any value.
            int pick = values.Pick(i);
            string name = pick % 10 == 0 ? OddTopLevel[pick / 10 % OddTopLevel.Length] : TopLevel[pick / 10 % TopLevel.Length];
            json[name] = SectionTypes.TryGetValue(name, out Type? section) && pick / 1000 % 10 != 0 ? Section(name, section, values, i + 1)
                : name == "runId" && pick / 1000 % 2 == 0 ? JsonValue.Create($"run-{pick % 1000}")
                : values.Any(i);
        }

        var (request, errors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(json.ToJsonString()));
        if (request is null)
        {
            // A field named "" is reported under "" (as before the sections), so only the rules are checked for text.
            return errors.Count > 0 && errors.All(error => error.Rule.Length > 0);
        }

        // Whatever binds, validation answers; a valid request, written back as the request it stands for, reads and
        // validates to the same values.
        var (validated, validationErrors) = Validate(request);
        if (validated is null)
        {
            return validationErrors.Count > 0 && validationErrors.All(error => error.Field.Length > 0 && error.Rule.Length > 0);
        }

        TrainingRequest normalized = TrainingRequest.From(RunId.Parse(request.RunId ?? "run-x"), validated.Specification, validated.Execution);
        var (reread, rereadErrors) = TrainingRequestReader.Read(JsonSerializer.SerializeToUtf8Bytes(normalized, SpecificationJson.Options));
        if (reread is null || rereadErrors.Count > 0)
        {
            return false;
        }

        var (again, _) = Validate(reread);
        return again is not null
            && JsonSerializer.Serialize(again, SpecificationJson.Options) == JsonSerializer.Serialize(validated, SpecificationJson.Options);
    }

    [Property(MaxTest = 200)]
    public bool DeclarativeLayersOfArbitraryShape_NeverThrow(int[] picks, double[] numbers, string[] texts, bool flag)
    {
        var values = new Values(picks, numbers, texts, flag);
        var json = new JsonObject { ["model"] = new JsonObject { ["layers"] = Layers(values, 0, 0) } };

        var (request, errors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(json.ToJsonString()));
        if (request is null)
        {
            return errors.Count > 0 && errors.All(error => error.Field.StartsWith("model.layers", StringComparison.Ordinal) || error.Field == "body");
        }

        var (validated, validationErrors) = Validate(request);
        return (validated is null) == (validationErrors.Count > 0);
    }

    // The fake catalogs answer at once, so the properties stay synchronous.
    private static (ValidatedRequest? Request, IReadOnlyList<ValidationError> Errors) Validate(TrainingRequest request) =>
        TrainingRequestValidator.ValidateAsync(request, FakeDatasets.Instance, FakeModels.Instance).GetAwaiter().GetResult();

    private static JsonObject Section(string name, Type section, Values values, int seed)
    {
        IReadOnlyDictionary<string, Type> types = TrainingRequestReader.FieldsOf(section);
        string[] fields = [.. types.Keys, "unknown"];
        var json = new JsonObject();
        for (int j = 0; j < 1 + Math.Abs(values.Pick(seed * 7)) % 3; j++)
        {
            int pick = values.Pick(seed * 4 + j);
            string field = fields[Math.Abs(pick % fields.Length)];
            json[field] = (name, field) switch
            {
                ("model", "parameters") => Parameters(values, seed + j),
                ("model", "layers") => Layers(values, seed + j, 0),
                _ when types.TryGetValue(field, out Type? type) => values.Of(type, seed * 4 + j),
                _ => values.Any(seed * 4 + j),
            };
        }

        return json;
    }

    private static JsonObject Parameters(Values values, int seed)
    {
        var parameters = new JsonObject();
        for (int k = 0; k < 3; k++)
        {
            int pick = values.Pick(seed + k);
            parameters[ParameterNames[Math.Abs(pick % ParameterNames.Length)]] = values.Of(pick / 100 % 3 == 0 ? typeof(bool) : typeof(double), seed + k);
        }

        return parameters;
    }

    private static JsonArray Layers(Values values, int seed, int depth)
    {
        var layers = new JsonArray();
        string[] fields = [.. TrainingRequestReader.FieldsOf(typeof(LayerSpec)).Keys, "unknown"];
        for (int k = 0; k < 1 + Math.Abs(values.Pick(seed + depth) % 4); k++)
        {
            int pick = values.Pick(seed + k + depth);
            if (Math.Abs(pick) % 9 == 8)
            {
                layers.Add(values.Any(seed + k));
                continue;
            }

            var layer = new JsonObject { ["type"] = UsefulTexts[Math.Abs(pick % UsefulTexts.Length)] };
            for (int f = 0; f < Math.Abs(pick / 3) % 3; f++)
            {
                string field = fields[Math.Abs((pick + f) % fields.Length)];
                layer[field] = field is "layers" or "shortcut" && depth < 3 ? Layers(values, seed + k + f + 1, depth + 1) : values.Any(seed + k + f);
            }

            layers.Add(layer);
        }

        return layers;
    }

    /// <summary>Arbitrary values drawn from the generated arguments: numbers, whole numbers, texts, flags, arrays, objects and null.</summary>
    private sealed class Values(int[] picks, double[] numbers, string[] texts, bool flag)
    {
        /// <summary>A non-negative number derived from the <paramref name="i"/>th pick and <paramref name="i"/>, well mixed (FsCheck's picks are mostly small).</summary>
        public int Pick(int i)
        {
            uint h = unchecked(((uint)(picks.Length == 0 ? 0 : picks[Math.Abs(i) % picks.Length]) * 2654435761u) ^ ((uint)i * 40503u) ^ 0x9E3779B9u);
            h ^= h >> 15;
            h = unchecked(h * 2246822519u);
            h ^= h >> 13;
            return (int)(h & 0x7FFFFFFF);
        }

        /// <summary>The <paramref name="i"/>th pick as generated.</summary>
        public int Raw(int i) => picks.Length == 0 ? i : picks[Math.Abs(i) % picks.Length];

        /// <summary>Mostly a value of <paramref name="type"/> (often in range), sometimes any value at all.</summary>
        public JsonNode? Of(Type type, int i)
        {
            int pick = Pick(i);
            if (Math.Abs(pick) % 10 == 9)
            {
                return Any(i);
            }

            Type target = Nullable.GetUnderlyingType(type) ?? type;
            double number = numbers.Length > 0 && double.IsFinite(numbers[Math.Abs(i) % numbers.Length]) ? numbers[Math.Abs(i) % numbers.Length] : Raw(i);
            return target switch
            {
                _ when target == typeof(bool) => JsonValue.Create(flag && pick / 10 % 2 == 0),
                _ when target.IsEnum => JsonValue.Create(SpecificationNames.Of(Enum.GetNames(target)[Math.Abs(pick) % Enum.GetNames(target).Length])),
                _ when target == typeof(string) => JsonValue.Create(UsefulTexts[Math.Abs(pick) % UsefulTexts.Length]),
                _ when target == typeof(int) || target == typeof(long) => JsonValue.Create(1 + (Math.Abs(pick) % 200)),
                _ => JsonValue.Create(pick % 3 == 0 ? number : (pick % 1000 + 1) / 2000.0),
            };
        }

        public JsonNode? Any(int i) => (Math.Abs(Pick(i)) % 8) switch
        {
            0 => numbers.Length > 0 && double.IsFinite(numbers[Math.Abs(i) % numbers.Length]) ? JsonValue.Create(numbers[Math.Abs(i) % numbers.Length]) : null,
            1 or 2 => JsonValue.Create(Math.Abs(Pick(i)) % 50),
            3 => JsonValue.Create(Raw(i)),
            4 => texts.Length > 0 && texts[Math.Abs(i) % texts.Length] is { } text ? JsonValue.Create(text) : null,
            5 => JsonValue.Create(UsefulTexts[Math.Abs(Pick(i)) % UsefulTexts.Length]),
            6 => JsonValue.Create(flag),
            _ => i % 2 == 0 ? new JsonArray() : new JsonObject(),
        };
    }

    /// <summary>Every dataset is a 28×28 grey image with ten classes.</summary>
    private sealed class FakeDatasets : IDatasetCatalog
    {
        public static FakeDatasets Instance { get; } = new();

        public Task<DatasetCheck> CheckAsync(DataSection data, CancellationToken cancellationToken = default) =>
            Task.FromResult(data.Dataset is null || Enum.IsDefined(data.Dataset.Value)
                ? new DatasetCheck(data.Resolved(), new DataShape([1, 28, 28], 10), [])
                : DatasetCheck.Failed(new ValidationError("data.dataset", "is not known")));
    }

    /// <summary>Knows mlp and cnn, and takes any layers; resolves nothing beyond what it is given.</summary>
    private sealed class FakeModels : IModelCatalog
    {
        public static FakeModels Instance { get; } = new();

        public IReadOnlyCollection<string> Architectures { get; } = ["mlp", "cnn"];

        public Task<ModelCheck> CheckAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default) =>
            Task.FromResult(model.Architecture is null || Architectures.Contains(model.Architecture)
                ? ModelCheck.Valid(model, 1000)
                : ModelCheck.Invalid([new ValidationError("model.architecture", "must be one of mlp, cnn")]));

        public IReadOnlyList<ValidationError> CheckFile(ReadOnlyMemory<byte> content, string path) => [];
    }
}
