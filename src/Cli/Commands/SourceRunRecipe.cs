using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTrainer.Cli.Client;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain train --init-from RUN</c>: the request starts from the source run's own recipe rather than the
/// default run's, field by field. The options given set their fields; every other field of the optimizer,
/// schedule, training, evaluation, stopping, checkpoint and replica sections is the source's, so that
/// <c>--init-from RUN --max-steps 400</c> is the same run made longer, which the server continues (its optimizer
/// state and data cursor carry on). The model and the data are left to the server, which takes the source's when
/// the request names none.
/// </summary>
public static class SourceRunRecipe
{
    private static readonly string[] RecipeSections = ["optimizer", "schedule", "training", "evaluation", "stopping", "checkpoints", "replicas"];

    /// <summary>The source run the request starts from, when it names one.</summary>
    public static string? SourceOf(JsonObject request) =>
        request["model"] is JsonObject { } model && model["initFrom"] is JsonObject init && init["run"] is JsonValue run && run.TryGetValue(out string? text) ? text : null;

    /// <summary>Fills the fields the request leaves out from the source run's specification; a source the server does not know is left to its answer.</summary>
    public static async Task ApplyAsync(TrainingServerClient client, JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (SourceOf(request) is not { } source)
        {
            return;
        }

        JsonElement? input;
        try
        {
            input = (await client.GetStatusAsync(source, null, cancellationToken)).Input;
        }
        catch (CliException exception) when (exception.ExitCode == ExitCodes.NotFound)
        {
            return;
        }

        if (input is not { ValueKind: JsonValueKind.Object } given || !given.TryGetProperty("specification", out JsonElement specification))
        {
            return;
        }

        foreach (string name in RecipeSections)
        {
            if (!specification.TryGetProperty(name, out JsonElement sourceSection) || sourceSection.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            JsonObject section = request[name] as JsonObject ?? [];
            request[name] = section;
            foreach (JsonProperty field in sourceSection.EnumerateObject())
            {
                if (!section.ContainsKey(field.Name) && !(name == "training" && IsLength(field.Name) && (section.ContainsKey("maxSteps") || section.ContainsKey("epochs"))))
                {
                    section[field.Name] = JsonNode.Parse(field.Value.GetRawText());
                }
            }
        }
    }

    // A new length given either way replaces the source's length given the other way.
    private static bool IsLength(string field) => field is "maxSteps" or "epochs";
}
