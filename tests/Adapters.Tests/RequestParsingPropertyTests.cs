using System.Text;
using System.Text.Json.Nodes;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.UseCases;
using FsCheck;
using FsCheck.Xunit;

namespace DurableTrainer.Adapters.Tests;

/// <summary>Fuzzing request parsing and validation with generated input: they answer, they never throw.</summary>
public class RequestParsingPropertyTests
{
    private static readonly string[] Fields = [.. TrainingRequestReader.FieldNames, "unknown", "runid", ""];

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
    public bool ObjectsOfKnownAndUnknownFieldsWithArbitraryValues_NeverThrowAndValidateConsistently(int[] picks, double[] numbers, string[] texts, bool flag)
    {
        var json = new JsonObject();
        for (int i = 0; i < Math.Min(picks.Length, 12); i++)
        {
            string field = Fields[Math.Abs(picks[i] % Fields.Length)];
            JsonNode? value = (Math.Abs(picks[i]) % 5) switch
            {
                0 => numbers.Length > 0 && double.IsFinite(numbers[i % numbers.Length]) ? JsonValue.Create(numbers[i % numbers.Length]) : null,
                1 => JsonValue.Create(picks[i]),
                2 => texts.Length > 0 ? JsonValue.Create(texts[i % texts.Length]) : null,
                3 => JsonValue.Create(flag),
                _ => new JsonArray(),
            };
            json[field] = value;
        }

        var (request, errors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(json.ToJsonString()));
        if (request is null)
        {
            return errors.Count > 0;
        }

        // Whatever binds, validation answers; a valid request normalizes to one that validates to the same values.
        var validation = TrainingRequestMapper.ToHyperparameters(request);
        if (!validation.IsValid)
        {
            return validation.Errors.Count > 0;
        }

        TrainingRequest normalized = TrainingRequestMapper.Normalize(request.RunId ?? "run-x", validation.GetValueOrThrow());
        var again = TrainingRequestMapper.ToHyperparameters(normalized);
        return again.IsValid && again.GetValueOrThrow().ToBuilder() == validation.GetValueOrThrow().ToBuilder();
    }
}
