using System.CommandLine;
using System.Text.Json.Nodes;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain generate RUN --prompt "..." [--max-tokens N] [--temperature T] [--top-k K] [--seed S] [--json]</c>: a
/// language-model run continues the prompt (<c>POST /api/training/{run}/generate</c>). Standard output carries the
/// generated text alone, or with <c>--json</c> one object with the text and its token ids; anything else goes to
/// standard error, so the text can be piped.
/// </summary>
public sealed class GenerateCommand(DtrainCommandLine commandLine, CliHost host)
{
    public Command Create()
    {
        Argument<string> run = DtrainCommandLine.RunArgument();
        var prompt = new Option<string>("--prompt") { HelpName = "text", Description = "The text to continue.", Required = true };
        var maxTokens = new Option<int?>("--max-tokens") { HelpName = "N", Description = "How many tokens to generate (200 by default)." };
        var temperature = new Option<double?>("--temperature") { HelpName = "T", Description = "Sampling temperature: 0 takes the likeliest token each time; 1 (the default) samples the model's distribution." };
        var topK = new Option<int?>("--top-k") { HelpName = "K", Description = "Sample among the K likeliest tokens only." };
        var seed = new Option<long?>("--seed") { HelpName = "S", Description = "The sampling seed (0 by default): the same seed gives the same text." };
        var checkpoint = new Option<string>("--checkpoint") { HelpName = "which", Description = "final (the default) or best.", DefaultValueFactory = _ => "final" };
        checkpoint.AcceptOnlyFromAmong("final", "best");
        var json = new Option<bool>("--json") { Description = "Write one JSON object instead of the text: run, checkpoint, text, tokens, promptTokens, seed." };
        var command = new Command("generate", "Continue a prompt with a finished language-model run; the text goes to standard output.")
        {
            run, prompt, maxTokens, temperature, topK, seed, checkpoint, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string runId = DtrainCommandLine.RunId(parseResult, run);
            var request = new JsonObject { ["prompt"] = parseResult.GetValue(prompt), ["checkpoint"] = parseResult.GetValue(checkpoint) };
            Add(request, "maxTokens", parseResult.GetValue(maxTokens));
            Add(request, "temperature", parseResult.GetValue(temperature));
            Add(request, "topK", parseResult.GetValue(topK));
            Add(request, "seed", parseResult.GetValue(seed));
            return await commandLine.WithServerAsync(parseResult, async client =>
            {
                string answer = await client.GenerateAsync(runId, request, cancellationToken);
                if (parseResult.GetValue(json))
                {
                    host.Out.WriteLine(JsonNode.Parse(answer)!.ToJsonString());
                }
                else
                {
                    host.Out.Write(JsonNode.Parse(answer)!["text"]!.GetValue<string>());
                    host.Out.WriteLine();
                }

                return ExitCodes.Success;
            }, cancellationToken);
        });
        return command;
    }

    private static void Add<T>(JsonObject target, string name, T? value)
        where T : struct
    {
        if (value is { } given)
        {
            target[name] = JsonValue.Create(given);
        }
    }
}
