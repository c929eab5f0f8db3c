using System.CommandLine;
using System.CommandLine.Parsing;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Client;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// One option per field of the request's sections, in kebab case, typed as the field is: <c>--epochs</c> for
/// <c>training.epochs</c>, <c>--learning-rate</c> for <c>optimizer.learningRate</c>. A field name two sections share
/// takes its section as a prefix (<c>--evaluation-interval-steps</c>, <c>--checkpoints-interval-steps</c>); a
/// section's main choice is named after the section (<c>--model</c>, <c>--optimizer</c>, <c>--schedule</c>,
/// <c>--replicas</c>, <c>--dataset</c>). Fields come from the sections by reflection, so a new field is an option at
/// once. Model parameters are <c>--model-param NAME=VALUE</c>; <c>--model-config file.json</c> gives the whole model
/// section (or just its layer list), and <c>--config file.json</c> a whole request. The request is the base (the
/// embedded default run for <c>train</c>, nothing for <c>start</c>), then the config file, then the model config,
/// then the options; the server fills in and validates the rest.
/// </summary>
public sealed class TrainingRequestOptions
{
    /// <summary>Fields whose option is the section's own name.</summary>
    private static readonly Dictionary<string, string> SectionChoices = new(StringComparer.Ordinal)
    {
        ["data.dataset"] = "--dataset",
        ["model.architecture"] = "--model",
        ["optimizer.name"] = "--optimizer",
        ["schedule.name"] = "--schedule",
        ["replicas.count"] = "--replicas",
    };

    /// <summary>Fields set by options of their own: a TorchScript file is uploaded by <c>--model-file</c>, which pins its hash too.</summary>
    /// <remarks>The server pins data by its digest (<c>data.sha256</c>) at submission; a given one is checked against the data.</remarks>
    private static readonly HashSet<string> FieldsWithOwnOptions = new(StringComparer.Ordinal) { "model.file", "model.sha256", "data.sha256" };

    private readonly List<(Option Option, string Section, string Field)> _fields = [];

    /// <param name="without">Fields left without an option, for a command that gives their option name another meaning (<c>dtrain sweep --seed</c>).</param>
    public TrainingRequestOptions(IReadOnlySet<string>? without = null)
    {
        Config = new Option<FileInfo?>("--config") { HelpName = "file.json", Description = "A JSON file holding a training request (its sections, camelCase); options given on the command line override it." };
        ModelConfig = new Option<FileInfo?>("--model-config") { HelpName = "model.json", Description = "A JSON file holding the model section ({\"layers\": [...]} or {\"architecture\": ...}), or just a list of layers." };
        ModelFile = new Option<FileInfo?>("--model-file") { HelpName = "net.pt", Description = "A TorchScript file (torch.jit.script(model).save(\"net.pt\")) to upload to the model store and train; the run pins its SHA-256." };
        DataFile = new Option<FileInfo?>("--data-file") { HelpName = "train.csv", Description = "Your training data (a table or array in a format the server reads, such as .csv or .npy) to upload to the datasets container and train on; name the label with --label and the task with --task." };
        DataDirectory = new Option<DirectoryInfo?>("--data-dir") { HelpName = "dir", Description = "A folder of training data to upload (every file, as one dataset) and train on." };
        TestFile = new Option<FileInfo?>("--test-file") { HelpName = "test.csv", Description = "Your test data (a file, or a folder as for --data-dir), uploaded with --data-file or --data-dir; without it a seeded fraction (--test-fraction) is held out." };
        ValidationFile = new Option<FileInfo?>("--validation-file") { HelpName = "val.csv", Description = "Your validation data (a file or a folder); without it a seeded fraction of the training data (--validation-fraction) is held out." };
        Categorical = new Option<string?>("--categorical") { HelpName = "col1,col2", Description = "Table columns to one-hot encode (data.categorical), comma separated." };
        InitFrom = new Option<string?>("--init-from") { HelpName = "run", Description = "Start from a finished run's final weights (model.initFrom.run); without a model or data of your own, the run's model and data are used. The optimizer starts fresh." };
        InitFromFile = new Option<FileInfo?>("--init-from-file") { HelpName = "weights.pt", Description = "Start from a PyTorch state dict (torch.save(model.state_dict(), f)) or a .safetensors file: uploaded to the model store, matched to the model by state-dict key, pinned by its SHA-256." };
        Freeze = new Option<string?>("--freeze") { HelpName = "layer1,layer2", Description = "Layers (names or name prefixes ending in *) that do not train (model.freeze), comma separated." };
        Reinitialize = new Option<string?>("--reinitialize") { HelpName = "head", Description = "Layers that start fresh instead of from --init-from or --init-from-file (model.initFrom.reinitialize), such as a head whose output count differs." };
        ModelParameters = new Option<string[]>("--model-param") { HelpName = "name=value", Description = "A parameter of the built-in architecture (model.parameters), e.g. --model-param hiddenUnits=128; repeatable.", AllowMultipleArgumentsPerToken = false };
        var fields = new List<(string Section, string Field, Type Type)>();
        foreach (var (section, fieldTypes) in SectionFields())
        {
            foreach (var (field, type) in fieldTypes.Where(entry => !FieldsWithOwnOptions.Contains($"{section}.{entry.Field}") && without?.Contains($"{section}.{entry.Field}") != true))
            {
                fields.Add((section, field, type));
            }
        }

        var shared = fields.GroupBy(entry => entry.Field, StringComparer.Ordinal).Where(group => group.Count() > 1).Select(group => group.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (section, field, fieldType) in fields)
        {
            string path = section.Length == 0 ? field : $"{section}.{field}";
            string optionName = SectionChoices.TryGetValue(path, out string? choice) ? choice
                : shared.Contains(field) ? $"--{Kebab(section)}-{Kebab(field)}"
                : $"--{Kebab(field)}";
            Type type = Nullable.GetUnderlyingType(fieldType) ?? fieldType;
            Option option = type == typeof(string) || type.IsEnum ? new Option<string?>(optionName)
                : type == typeof(int) ? new Option<int?>(optionName)
                : type == typeof(long) ? new Option<long?>(optionName)
                : type == typeof(double) ? new Option<double?>(optionName)
                : type == typeof(bool) ? new Option<bool?>(optionName) { Arity = ArgumentArity.ZeroOrOne }
                : throw new InvalidOperationException($"{path} has a type ({type.Name}) with no option mapping.");
            option.Description = $"Training field '{path}' ({(type == typeof(string) || type.IsEnum ? "text" : type == typeof(bool) ? "true/false" : "number")}).";
            option.HelpName = type == typeof(bool) ? "true|false" : type == typeof(string) || type.IsEnum ? "text" : "n";
            _fields.Add((option, section, field));
        }
    }

    public Option<FileInfo?> Config { get; }

    public Option<FileInfo?> ModelConfig { get; }

    public Option<FileInfo?> ModelFile { get; }

    public Option<string[]> ModelParameters { get; }

    public Option<string?> InitFrom { get; }

    public Option<FileInfo?> InitFromFile { get; }

    public Option<string?> Freeze { get; }

    public Option<string?> Reinitialize { get; }

    public Option<FileInfo?> DataFile { get; }

    public Option<DirectoryInfo?> DataDirectory { get; }

    public Option<FileInfo?> TestFile { get; }

    public Option<FileInfo?> ValidationFile { get; }

    public Option<string?> Categorical { get; }

    public IEnumerable<Option> All => _fields.Select(entry => entry.Option)
        .Prepend(Categorical).Prepend(ValidationFile).Prepend(TestFile).Prepend(DataDirectory).Prepend(DataFile)
        .Prepend(Reinitialize).Prepend(Freeze).Prepend(InitFromFile).Prepend(InitFrom)
        .Prepend(ModelParameters).Prepend(ModelFile).Prepend(ModelConfig).Prepend(Config);

    /// <summary>Every local file the options name, checked here before anything starts.</summary>
    public LocalFiles LocalFiles(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new(ModelUpload(parseResult), DataUpload(parseResult), parseResult.GetValue(InitFromFile) is { } weights ? ModelFileUpload.For(weights, initialWeights: true) : null);
    }

    /// <summary>The local data <c>--data-file</c> or <c>--data-dir</c> (with <c>--test-file</c>, <c>--validation-file</c>) name, checked here; null without them.</summary>
    public DataUpload? DataUpload(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return Commands.DataUpload.For(parseResult.GetValue(DataFile), parseResult.GetValue(DataDirectory), parseResult.GetValue(TestFile), parseResult.GetValue(ValidationFile));
    }

    /// <summary>The TorchScript file <c>--model-file</c> names, checked here before anything starts; null without the option.</summary>
    public ModelFileUpload? ModelUpload(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.GetValue(ModelFile) is { } file ? ModelFileUpload.For(file) : null;
    }

    /// <summary>The option that sets a field, by its JSON path (<c>training.epochs</c>).</summary>
    /// <remarks><c>model.file</c> is set by <c>--model-file</c>; <c>model.sha256</c> has no option, as the upload pins it.</remarks>
    public Option? OptionFor(string path) => path == "model.file" ? ModelFile
        : _fields.FirstOrDefault(entry => (entry.Section.Length == 0 ? entry.Field : $"{entry.Section}.{entry.Field}") == path).Option;

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The request body: <paramref name="baseRequest"/>, then <c>--config</c>, then <c>--model-config</c>, then the field options given.</summary>
    public JsonObject BuildRequest(ParseResult parseResult, JsonObject? baseRequest)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        JsonObject request = baseRequest is null ? [] : (JsonObject)baseRequest.DeepClone();
        if (parseResult.GetValue(Config) is { } file)
        {
            MergeConfig(request, ReadConfig(file).AsObject());
        }

        if (parseResult.GetValue(ModelConfig) is { } modelFile)
        {
            // A model file replaces the whole model section: an architecture and layers cannot be mixed.
            request["model"] = ReadConfig(modelFile, allowArray: true) switch
            {
                JsonArray layers => new JsonObject { ["layers"] = layers.DeepClone() },
                JsonNode model => model.DeepClone(),
            };
        }

        ApplyModelFile(parseResult, request);
        ApplyTextRecipe(parseResult, request, baseRequest);
        ApplyFieldOptions(parseResult, request);
        ApplyDataUpload(parseResult, request, baseRequest);
        if (parseResult.GetValue(Categorical) is { } categorical)
        {
            Section(request, "data")["categorical"] = new JsonArray(categorical.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(column => (JsonNode)JsonValue.Create(column)!).ToArray());
        }

        ApplyModelParameters(parseResult, request);
        ApplyStart(parseResult, request);
        return request;
    }

    /// <summary>
    /// Texts to classify (<c>data.text</c>, from <c>--text</c> or the config) train with the server's text recipe, not
    /// the base run's image recipe: the base run's optimizer, schedule and training sections are replaced by the
    /// recipe's (those a config file gives are kept), and the field options then apply on top of them.
    /// </summary>
    private void ApplyTextRecipe(ParseResult parseResult, JsonObject request, JsonObject? baseRequest)
    {
        bool textGiven = parseResult.GetResult(OptionFor("data.text")!) is OptionResult { Implicit: false }
            || (request["data"] is JsonObject data && data["text"] is not null);
        if (!textGiven || baseRequest is null)
        {
            return;
        }

        JsonObject? config = parseResult.GetValue(Config) is { } file ? ReadConfig(file).AsObject() : null;
        var text = new DataSection(Text: "text");
        foreach ((string section, object recipe) in new (string, object)[]
        {
            ("optimizer", DefaultRecipe.OptimizerFor(text)),
            ("schedule", DefaultRecipe.ScheduleFor(text)),
            ("training", DefaultRecipe.TrainingFor(text)),
        })
        {
            if (config?[section] is null)
            {
                request[section] = JsonSerializer.SerializeToNode(recipe, recipe.GetType(), SpecificationJson.Options);
            }
        }
    }

    /// <summary>Whether <c>--init-from</c> names a run to start from: its recipe, not the default run's, is then the base (see <see cref="SourceRunRecipe"/>).</summary>
    public bool StartsFromRun(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.GetValue(InitFrom) is not null;
    }

    /// <summary><c>--init-from</c>, <c>--init-from-file</c>, <c>--freeze</c> and <c>--reinitialize</c>.</summary>
    private void ApplyStart(ParseResult parseResult, JsonObject request)
    {
        string? run = parseResult.GetValue(InitFrom);
        FileInfo? weights = parseResult.GetValue(InitFromFile);
        string? reinitialize = parseResult.GetValue(Reinitialize);
        string? freeze = parseResult.GetValue(Freeze);
        if (run is not null && weights is not null)
        {
            throw CliException.Usage("--init-from and --init-from-file both say where the weights come from; give one.");
        }

        if (run is null && weights is null && freeze is null && reinitialize is null)
        {
            return;
        }

        JsonObject model = Section(request, "model");
        if (run is not null || weights is not null)
        {
            var init = new JsonObject();
            if (run is not null)
            {
                init["run"] = run;
            }

            model["initFrom"] = init;
        }

        if (reinitialize is not null)
        {
            if (model["initFrom"] is not JsonObject init)
            {
                throw CliException.Usage("--reinitialize names layers of the weights a run starts from; give --init-from or --init-from-file with it.");
            }

            init["reinitialize"] = Names(reinitialize);
        }

        if (freeze is not null)
        {
            model["freeze"] = Names(freeze);
        }
    }

    private static JsonArray Names(string list) =>
        new(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name => (JsonNode)JsonValue.Create(name)!).ToArray());

    private static void MergeConfig(JsonObject request, JsonObject config)
    {
        foreach (var (name, value) in config)
        {
            // A section in the file replaces only the fields it names.
            if (value is JsonObject section && request[name] is JsonObject existing)
            {
                foreach (var (field, fieldValue) in section)
                {
                    existing[field] = fieldValue?.DeepClone();
                }
            }
            else
            {
                request[name] = value?.DeepClone();
            }
        }
    }

    private void ApplyModelFile(ParseResult parseResult, JsonObject request)
    {
        if (parseResult.GetValue(ModelFile) is not { } scriptFile)
        {
            return;
        }

        if (parseResult.GetResult(OptionFor("model.architecture")!) is OptionResult { Implicit: false } || parseResult.GetValue(ModelConfig) is not null)
        {
            throw CliException.Usage("--model-file gives the whole model; it cannot be combined with --model or --model-config.");
        }

        // The file replaces the base run's model; ModelUpload checks the file, and its hash is pinned once it is uploaded.
        request["model"] = new JsonObject { ["file"] = scriptFile.Name };
    }

    private void ApplyFieldOptions(ParseResult parseResult, JsonObject request)
    {
        foreach (var (option, section, field) in _fields)
        {
            if (parseResult.GetResult(option) is not OptionResult { Implicit: false } result)
            {
                continue;
            }

            JsonObject target = section.Length == 0 ? request : Section(request, section);
            if (section == "model" && field == "architecture")
            {
                DropOtherArchitecture(target, parseResult, option);
            }

            target[field] = OptionValue(parseResult, option, result);
        }
    }

    private static void DropOtherArchitecture(JsonObject model, ParseResult parseResult, Option architecture)
    {
        // Choosing an architecture drops the base run's layers or parameters of another architecture.
        model.Remove("layers");
        string? current = model["architecture"] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
        if (current != parseResult.GetValue((Option<string?>)architecture))
        {
            model.Remove("parameters");
        }
    }

    private static JsonValue? OptionValue(ParseResult parseResult, Option option, OptionResult result) => option switch
    {
        Option<string?> text => JsonValue.Create(parseResult.GetValue(text)),
        Option<int?> whole => JsonValue.Create(parseResult.GetValue(whole)),
        Option<long?> big => JsonValue.Create(parseResult.GetValue(big)),
        Option<double?> number => JsonValue.Create(parseResult.GetValue(number)),
        Option<bool?> flag => JsonValue.Create(result.Tokens.Count == 0 || parseResult.GetValue(flag) == true),
        _ => throw new InvalidOperationException($"Unexpected option type for {option.Name}."),
    };

    private void ApplyDataUpload(ParseResult parseResult, JsonObject request, JsonObject? baseRequest)
    {
        if (parseResult.GetValue(DataFile) is null && parseResult.GetValue(DataDirectory) is null)
        {
            return;
        }

        if (parseResult.GetResult(OptionFor("data.dataset")!) is OptionResult { Implicit: false } || parseResult.GetResult(OptionFor("data.source")!) is OptionResult { Implicit: false })
        {
            throw CliException.Usage("--data-file and --data-dir give the training data; they cannot be combined with --dataset or --source.");
        }

        JsonObject data = Section(request, "data");
        data.Remove("dataset");
        if (!ModelChosen(parseResult) && baseRequest?["model"] is not null && (parseResult.GetValue(Config) is null || ReadConfig(parseResult.GetValue(Config)!)["model"] is null))
        {
            // The default run's CNN is for images; without a model of their own, the server picks the default for the data's shape.
            request.Remove("model");
        }
    }

    private bool ModelChosen(ParseResult parseResult) =>
        parseResult.GetResult(OptionFor("model.architecture")!) is OptionResult { Implicit: false }
        || parseResult.GetValue(ModelConfig) is not null || parseResult.GetValue(ModelFile) is not null
        || (parseResult.GetValue(ModelParameters) ?? []).Length > 0;

    private void ApplyModelParameters(ParseResult parseResult, JsonObject request)
    {
        foreach (string parameter in parseResult.GetValue(ModelParameters) ?? [])
        {
            int equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw CliException.Usage($"--model-param '{parameter}' must be NAME=VALUE, such as hiddenUnits=128 or batchNorm=true.");
            }

            string name = parameter[..equals];
            JsonValue value = ModelParameterValue(name, parameter[(equals + 1)..]);
            JsonObject model = Section(request, "model");
            model.Remove("layers");
            if (model["parameters"] is not JsonObject parameters)
            {
                parameters = [];
                model["parameters"] = parameters;
            }

            parameters[name] = value;
        }
    }

    private static JsonValue ModelParameterValue(string name, string text) =>
        bool.TryParse(text, out bool flag) ? JsonValue.Create(flag)
        : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double number) ? JsonValue.Create(number)
        : throw CliException.Usage($"--model-param {name} must be a number or true/false, not '{text}'.");

    private static JsonObject Section(JsonObject request, string section)
    {
        if (request[section] is not JsonObject target)
        {
            target = [];
            request[section] = target;
        }

        return target;
    }

    /// <summary>Each section's JSON name and its fields (the section record's constructor parameters), the model's parameters and layers left to their own options.</summary>
    private static IEnumerable<(string Section, IEnumerable<(string Field, Type Type)> Fields)> SectionFields()
    {
        foreach (PropertyInfo property in typeof(TrainingRequest).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            string section = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (property.PropertyType == typeof(string))
            {
                // A top-level field such as runId: a "section" of one field with no prefix.
                yield return ("", [(section, typeof(string))]);
                continue;
            }

            IEnumerable<(string, Type)> fields = RequestFields.Of(property.PropertyType)
                .Where(field => field.Value == typeof(string) || field.Value.IsValueType)
                .Select(field => (field.Key, field.Value));
            yield return (section, fields);
        }
    }

    private static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);

    private static JsonNode ReadConfig(FileInfo file, bool allowArray = false)
    {
        if (!file.Exists)
        {
            throw CliException.Usage($"The config file '{file.FullName}' does not exist. Pass --config with the path of a JSON file.");
        }

        try
        {
            using FileStream stream = file.OpenRead();
            JsonNode? node = JsonNode.Parse(stream);
            return node is JsonObject || (allowArray && node is JsonArray)
                ? node
                : throw CliException.Usage($"The config file '{file.FullName}' must hold one JSON object, such as {{\"training\": {{\"epochs\": 1}}, \"model\": {{\"architecture\": \"mlp\"}}}}.");
        }
        catch (JsonException exception)
        {
            throw CliException.Usage($"The config file '{file.FullName}' is not valid JSON ({exception.Message}). Fix it, or pass the fields as options.");
        }
    }
}
