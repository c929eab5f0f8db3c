using System.Text.Json;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>
/// <c>POST /api/training/{id}/generate</c>: a language model continues a prompt.
/// <c>{"prompt": "...", "maxTokens": 200, "temperature": 1.0, "topK": 40, "seed": 0, "checkpoint": "final" | "best"}</c>;
/// only <c>prompt</c> is required. The same request gives the same text.
/// </summary>
public sealed class GenerationHttpApi(ITrainingRunClient runs, ITextGenerator generator)
{
    public const int MaxBodyBytes = 1024 * 1024;

    private static readonly string[] Fields = ["prompt", "maxTokens", "temperature", "topK", "seed", "checkpoint"];

    public async Task<ApiResult> GenerateAsync(string runId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (body.Length > MaxBodyBytes)
        {
            return Invalid(413, "body", $"must be at most {MaxBodyBytes} bytes");
        }

        if (await runs.FindRunAsync(runId, cancellationToken) is not (RunId id, RunRecord run))
        {
            return ProblemDetailsFactory.UnknownRun(runId);
        }

        (GenerationRequest? request, CheckpointChoice choice, ValidationError? problem) = Read(body);
        if (request is null)
        {
            return Invalid(400, problem!.Field, problem.Rule);
        }

        if (RunCheckpoints.Find(id, run, choice) is not ({ } checkpoint, { } recipe))
        {
            return RunCheckpoints.NoModel(id, run, choice, "generate with");
        }

        if (!recipe.Data.IsTokenStream())
        {
            return Invalid(400, "runId", $"'{id}' is a {SpecificationNames.Of(recipe.Data.ResolvedTask())} model; only a language-model run generates text (predict rows with POST /api/training/{id}/predict)");
        }

        try
        {
            GeneratedText generated = await generator.GenerateAsync(checkpoint, recipe, request, cancellationToken);
            return new ApiResult(200, new
            {
                run = id.Value,
                checkpoint = checkpoint.ToString(),
                prompt = request.Prompt,
                text = generated.Text,
                tokens = generated.Tokens,
                promptTokens = generated.PromptTokens,
                seed = request.Seed,
            });
        }
        catch (PredictionInputException exception)
        {
            return Invalid(400, exception.Field, exception.Message);
        }
        catch (Exception exception) when (exception is CheckpointNotFoundException or CheckpointCorruptException or DatasetException)
        {
            return new ApiResult(409, new { title = "The run's model cannot generate.", status = 409, detail = exception.Message }, ContentType: ProblemDetailsFactory.ContentType);
        }
    }

    /// <summary>The request, or the first field that breaks its rule.</summary>
    private static (GenerationRequest? Request, CheckpointChoice Choice, ValidationError? Problem) Read(ReadOnlyMemory<byte> body)
    {
        static (GenerationRequest?, CheckpointChoice, ValidationError?) Fail(string field, string rule) => (null, CheckpointChoice.Final, new ValidationError(field, rule));
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException)
        {
            return Fail("body", "must be a JSON object: {\"prompt\": \"...\"}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail("body", "must be a JSON object: {\"prompt\": \"...\"}");
            }

            if (root.EnumerateObject().Select(property => property.Name).FirstOrDefault(name => !Fields.Contains(name)) is { } unknown)
            {
                return Fail(unknown, $"is not a known field; known fields are {string.Join(", ", Fields)}");
            }

            if (!root.TryGetProperty("prompt", out JsonElement promptElement) || promptElement.ValueKind != JsonValueKind.String)
            {
                return Fail("prompt", "is required: the text to continue, a string");
            }

            string prompt = promptElement.GetString()!;
            if (prompt.Length is 0 or > GenerationRequest.MaxPromptLength)
            {
                return Fail("prompt", $"must be 1 to {GenerationRequest.MaxPromptLength} characters");
            }

            var request = new GenerationRequest(prompt);
            if (Optional(root, "maxTokens") is { } maxTokens)
            {
                if (maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt32(out int value) || value is < 1 or > GenerationRequest.MaxMaxTokens)
                {
                    return Fail("maxTokens", $"must be a whole number from 1 to {GenerationRequest.MaxMaxTokens}");
                }

                request = request with { MaxTokens = value };
            }

            if (Optional(root, "temperature") is { } temperature)
            {
                if (temperature.ValueKind != JsonValueKind.Number || !temperature.TryGetDouble(out double value) || !double.IsFinite(value) || value is < 0 or > GenerationRequest.MaxTemperature)
                {
                    return Fail("temperature", $"must be a number from 0 (always the likeliest token) to {GenerationRequest.MaxTemperature}");
                }

                request = request with { Temperature = value };
            }

            if (Optional(root, "topK") is { } topK)
            {
                if (topK.ValueKind != JsonValueKind.Number || !topK.TryGetInt32(out int value) || value < 1)
                {
                    return Fail("topK", "must be a whole number of at least 1 (the likeliest tokens to draw among)");
                }

                request = request with { TopK = value };
            }

            if (Optional(root, "seed") is { } seed)
            {
                if (seed.ValueKind != JsonValueKind.Number || !seed.TryGetInt64(out long value) || value < 0)
                {
                    return Fail("seed", "must be a whole number of at least 0");
                }

                request = request with { Seed = value };
            }

            CheckpointChoice choice = CheckpointChoice.Final;
            if (Optional(root, "checkpoint") is { } which && (which.ValueKind != JsonValueKind.String || !SpecificationNames.TryParse(which.GetString(), out choice)))
            {
                return Fail("checkpoint", "must be final or best");
            }

            return (request, choice, null);
        }
    }

    /// <summary>The property when given and not null.</summary>
    private static JsonElement? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static ApiResult Invalid(int status, string field, string rule) =>
        new(status, ProblemDetailsFactory.Validation([new ValidationError(field, rule)], status), ContentType: ProblemDetailsFactory.ContentType);
}
