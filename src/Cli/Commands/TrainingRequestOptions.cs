using System.CommandLine;
using System.CommandLine.Parsing;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Server;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// One option per <see cref="TrainingRequest"/> field, in kebab case (<c>--max-steps</c> for <c>maxSteps</c>), typed as the
/// field is, plus <c>--config file.json</c>. Fields come from the contract by reflection, so a new field is an option
/// at once. The request is the base (the embedded default run for <c>train</c>, nothing for <c>start</c>), then the
/// config file, then the options; the server fills in and validates the rest.
/// </summary>
public sealed class TrainingRequestOptions
{
    private readonly List<(Option Option, string JsonName)> _fields = [];

    public TrainingRequestOptions()
    {
        Config = new Option<FileInfo?>("--config") { HelpName = "file.json", Description = "A JSON file of training request fields (camelCase); options given on the command line override it." };
        foreach (PropertyInfo property in typeof(TrainingRequest).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            string jsonName = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            string optionName = "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(property.Name);
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            Option option = type == typeof(string) ? new Option<string?>(optionName)
                : type == typeof(int) ? new Option<int?>(optionName)
                : type == typeof(long) ? new Option<long?>(optionName)
                : type == typeof(double) ? new Option<double?>(optionName)
                : type == typeof(bool) ? new Option<bool?>(optionName) { Arity = ArgumentArity.ZeroOrOne }
                : throw new InvalidOperationException($"TrainingRequest.{property.Name} has a type ({type.Name}) with no option mapping.");
            option.Description = $"Training field '{jsonName}' ({(type == typeof(string) ? "text" : type == typeof(bool) ? "true/false" : "number")}).";
            option.HelpName = type == typeof(bool) ? "true|false" : type == typeof(string) ? "text" : "n";
            _fields.Add((option, jsonName));
        }
    }

    public Option<FileInfo?> Config { get; }

    public IEnumerable<Option> All => _fields.Select(entry => entry.Option).Prepend(Config);

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The request body: <paramref name="baseRequest"/>, then <c>--config</c>, then the field options given.</summary>
    public JsonObject BuildRequest(ParseResult parseResult, JsonObject? baseRequest)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        JsonObject request = baseRequest is null ? [] : (JsonObject)baseRequest.DeepClone();
        if (parseResult.GetValue(Config) is { } file)
        {
            foreach (var (name, value) in ReadConfig(file))
            {
                request[name] = value?.DeepClone();
            }
        }

        foreach (var (option, jsonName) in _fields)
        {
            if (parseResult.GetResult(option) is not OptionResult { Implicit: false } result)
            {
                continue;
            }

            request[jsonName] = option switch
            {
                Option<string?> text => JsonValue.Create(parseResult.GetValue(text)),
                Option<int?> whole => JsonValue.Create(parseResult.GetValue(whole)),
                Option<long?> big => JsonValue.Create(parseResult.GetValue(big)),
                Option<double?> number => JsonValue.Create(parseResult.GetValue(number)),
                Option<bool?> flag => JsonValue.Create(result.Tokens.Count == 0 || parseResult.GetValue(flag) == true),
                _ => throw new InvalidOperationException($"Unexpected option type for {option.Name}."),
            };
        }

        return request;
    }

    private static JsonObject ReadConfig(FileInfo file)
    {
        if (!file.Exists)
        {
            throw CliException.Usage($"The config file '{file.FullName}' does not exist. Pass --config with the path of a JSON file.");
        }

        try
        {
            using FileStream stream = file.OpenRead();
            return JsonNode.Parse(stream) as JsonObject
                ?? throw CliException.Usage($"The config file '{file.FullName}' must hold one JSON object of training fields, such as {{\"epochs\": 1, \"model\": \"mlp\"}}.");
        }
        catch (JsonException exception)
        {
            throw CliException.Usage($"The config file '{file.FullName}' is not valid JSON ({exception.Message}). Fix it, or pass the fields as options.");
        }
    }
}
