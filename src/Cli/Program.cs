using System.Reflection;
using System.Text.Json.Nodes;
using DurableTrainer.Cli;

// dtrain: a small command-line client. `dtrain train [--server URL] [--<field> value ...]`, where each field is a
// training request field in kebab case (for example --epochs 1 --model mlp --dataset synthetic).
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("""
        Usage: dtrain train [--server URL] [--<field> <value> ...]

        Starts Azurite and the worker (unless --server is given), submits a training run built from the embedded
        default configuration (Fashion-MNIST, CNN, 3 epochs) with any fields you override, shows progress until
        it ends, prints the final test accuracy and where the final checkpoint is, and stops what it started.
        Fields: run-id, learning-rate, batch-size, epochs, max-steps, optimizer, momentum, weight-decay, model,
        hidden-units, dataset, seed, steps-per-chunk, replicas, evaluation-interval-steps, target-accuracy.
        """);
    return 0;
}

if (args[0] != "train")
{
    Console.Error.WriteLine($"Unknown command '{args[0]}'. Try 'dtrain help'.");
    return 2;
}

JsonObject request = LoadDefaultRun();
Uri? server = null;
for (int i = 1; i < args.Length; i++)
{
    string option = args[i];
    if (!option.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"Expected '--<name> <value>' but found '{option}'. Try 'dtrain help'.");
        return 2;
    }

    string value = args[++i];
    if (option == "--server")
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out server))
        {
            Console.Error.WriteLine($"--server must be an absolute URL such as http://127.0.0.1:7071, not '{value}'.");
            return 2;
        }

        continue;
    }

    string field = KebabToCamel(option[2..]);
    bool textField = field is "runId" or "optimizer" or "model" or "dataset";
    request[field] = !textField && double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out double number) && !value.Contains('-', StringComparison.Ordinal)
        ? (value.Contains('.', StringComparison.Ordinal) || value.Contains('e', StringComparison.OrdinalIgnoreCase) ? JsonValue.Create(number) : JsonValue.Create((long)number))
        : JsonValue.Create(value);
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    return await new TrainCommand(Console.Out).RunAsync(request, server, cancellation.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine("Cancelled; the local stack has been stopped.");
    return 130;
}

static JsonObject LoadDefaultRun()
{
    using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("DurableTrainer.Cli.DefaultRun.json")
        ?? throw new InvalidOperationException("The embedded default configuration is missing.");
    return JsonNode.Parse(stream)!.AsObject();
}

static string KebabToCamel(string name)
{
    string[] parts = name.Split('-', StringSplitOptions.RemoveEmptyEntries);
    return string.Concat(parts.Select((part, index) => index == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));
}
