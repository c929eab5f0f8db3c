using DurableTrainer.FaultHarness;

// The long form of the fault harness: `scripts/faults.sh` (or dotnet run -- --kills 8 --outages 2).
int kills = 8, outages = 2, outageSeconds = 5;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int value = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--kills": kills = value; break;
        case "--outages": outages = value; break;
        case "--outage-seconds": outageSeconds = value; break;
        default: Console.Error.WriteLine($"Unknown option {args[i]}; use --kills N --outages N --outage-seconds N."); return 2;
    }
}

var options = new FaultHarnessOptions(kills, outages, TimeSpan.FromSeconds(outageSeconds), MaxSteps: 1600, StepsPerChunk: 40, Seed: 11,
    Path.Combine(Path.GetTempPath(), "durabletrainer-faults", Guid.NewGuid().ToString("N")[..8]));
FaultReport report = await new FaultHarness(options, Console.Out).RunAsync();
string table = FaultHarness.Describe(report, options);
string results = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results", "faults.md");
await File.WriteAllTextAsync(results, $"""
    # Fault harness (long form)

    Two worker processes share one task hub on Azurite. A deterministic run (synthetic data, CNN, {options.MaxSteps} steps,
    2 replicas, chunks of {options.StepsPerChunk}, seed {options.Seed}, 1 libtorch thread) is trained once undisturbed and once
    while workers are SIGKILLed at random moments and restarted, and Azurite is stopped and restarted on the same data
    folder. Work-item visibility 10 s, partition lease 15 s. Produced by `scripts/faults.sh` on {DateTime.UtcNow:yyyy-MM-dd}.

    | measure | value |
    | --- | --- |
    {table}
    """);
Console.WriteLine(table);
Console.WriteLine($"Written to {results}.");
return report.WeightsIdentical && report.ChaosStatus == "Completed" ? 0 : 1;
