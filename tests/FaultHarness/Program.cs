using DurableTrainer.FaultHarness;

// The long form of the fault harness: `scripts/faults.sh` (or dotnet run -- --kills 8 --outages 2), with
// `--sweep N` an ASHA sweep of N deterministic trials under worker kills instead of one run, and with
// `--storage-faults N` N pairs of runs, calm and through a misbehaving storage (5 % 503s, 2 % lost answers), and with
// `--load N` N short runs submitted at once to two workers while the status and list routes are timed, and with
// `--storage-fault-jobs N` an ASHA sweep of N trials and a batch prediction job, each calm and through the misbehaving
// storage, and with `--rounds N` one run of N one-step rounds whose memory, history and status route are sampled.
int kills = 8, outages = 2, outageSeconds = 5, sweepTrials = 0, storagePairs = 0, loadRuns = 0, storageJobTrials = 0, rounds = 0;
var upgrades = new List<(string Name, string Root)>();
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--upgrade-to")
    {
        // NAME=ROOT: a changed build of this repository, built in Release at ROOT.
        string[] build = args[i + 1].Split('=', 2);
        upgrades.Add((build[0], build[1]));
        continue;
    }

    int value = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--kills": kills = value; break;
        case "--outages": outages = value; break;
        case "--outage-seconds": outageSeconds = value; break;
        case "--sweep": sweepTrials = value; break;
        case "--storage-faults": storagePairs = value; break;
        case "--load": loadRuns = value; break;
        case "--storage-fault-jobs": storageJobTrials = value; break;
        case "--rounds": rounds = value; break;
        default: Console.Error.WriteLine($"Unknown option {args[i]}; use --kills N --outages N --outage-seconds N, --sweep N --kills N, --storage-faults N, --storage-fault-jobs N, --load N, or --rounds N."); return 2;
    }
}

var options = new FaultHarnessOptions(kills, outages, TimeSpan.FromSeconds(outageSeconds), MaxSteps: 1600, StepsPerChunk: 40, Seed: 11,
    Path.Combine(Path.GetTempPath(), "durabletrainer-faults", Guid.NewGuid().ToString("N")[..8]));
if (upgrades.Count > 0)
{
    var upgradeOptions = options with { MaxSteps = 600, StepsPerChunk = 40 };
    IReadOnlyList<UpgradeScenario> scenarios = await new FaultHarness(upgradeOptions, Console.Out).RunUpgradesAsync(upgrades);
    string upgradeTable = FaultHarness.Describe(scenarios);
    string upgradeResults = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results", "upgrades.md");
    await File.WriteAllTextAsync(upgradeResults, $"""
        # Upgrades while runs are in flight (long form)

        One worker of this commit's build trains a deterministic run (synthetic data, CNN, {upgradeOptions.MaxSteps} steps, 2 replicas,
        chunks of {upgradeOptions.StepsPerChunk}, seed {upgradeOptions.Seed}) undisturbed, for reference. Then, for each changed build, it starts the
        same run, is stopped with SIGTERM a third of the way through, as a deployment stops a worker, and a worker of
        the changed build takes over the task hub. The changed builds are this commit with a patch, built in git
        worktrees by `scripts/upgrade.sh`:
        - **incompatible**: the training orchestration calls one more activity before the loop, and the orchestration
          version goes to 2 without continuing 1;
        - **compatible**: the version goes to 2 and 1 is still continued (the code replays version 1's histories).
        A run that has not ended {FaultHarness.TakeOverMinutes} minutes after the new worker started counts as hung. Produced by
        `scripts/upgrade.sh` on {DateTime.UtcNow:yyyy-MM-dd}.

        {upgradeTable}
        """);
    Console.WriteLine(upgradeTable);
    Console.WriteLine($"Written to {upgradeResults}.");
    return scenarios.All(scenario => scenario.Status is "Completed" or "Failed" && scenario.WeightsIdentical != false) ? 0 : 1;
}

if (loadRuns > 0)
{
    LoadReport load = await new FaultHarness(options, Console.Out).RunLoadAsync(loadRuns);
    string loadTable = FaultHarness.Describe(load);
    string loadResults = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results", "load.md");
    await File.WriteAllTextAsync(loadResults, $"""
        # Load: many runs at once (long form)

        {loadRuns} short runs (synthetic data, MLP, {load.StepsPerRun} steps in {load.ChunksPerRun} chunks, one seed each) are submitted at
        once to two worker processes (1 libtorch thread and 1 activity each) sharing one task hub on Azurite. While they
        train, the harness asks the status route of a random run and the list route in turn, 100 ms apart, and times
        every answer. Then it checks every run: completed with all its steps, one execution in its history, each chunk
        scheduled once, and each step in the raw journal once. Produced by `scripts/faults.sh --load {loadRuns}` on
        {DateTime.UtcNow:yyyy-MM-dd}.

        {loadTable}
        """);
    Console.WriteLine(loadTable);
    Console.WriteLine($"Written to {loadResults}.");
    return load.Completed == load.Runs ? 0 : 1;
}

if (storagePairs > 0)
{
    var storageOptions = options with { MaxSteps = 2000, StepsPerChunk = 100 };
    var rates = new StorageFaultRates(ServerBusy: 0.05, LostResponse: 0.02);
    StorageFaultReport storage = await new FaultHarness(storageOptions, Console.Out).RunStorageFaultsAsync(rates, storagePairs);
    string storageTable = FaultHarness.Describe(storage);
    string storageResults = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results", "storage-faults.md");
    await File.WriteAllTextAsync(storageResults, $"""
        # A storage that misbehaves (long form)

        Two worker processes (1 libtorch thread and 1 activity each, 15 s work-item visibility and partition leases) share
        one task hub. Between them and Azurite's blob, queue and table services sits a proxy that injects faults into
        every storage call: {rates}. A deterministic run (synthetic data, CNN, {storageOptions.MaxSteps} steps, 2 replicas,
        chunks of {storageOptions.StepsPerChunk}, seed {storageOptions.Seed}) is trained calm and faulty in pairs, alternating the order,
        from submission to its end. The journal lines are the append blob's as stored, duplicates included; "same records"
        compares the identity of every line. The last column counts queue messages taken by a dequeue whose answer the
        proxy dropped: each comes back after the workers' 2 s first hold rather than the 15 s visibility timeout
        ([ADR 0027](../../docs/adr/0027-short-first-hold-for-dequeued-messages.md)). Every fault injected, with its time
        and request, is in the run's work folder (`injected-faults.log`). Produced by
        `scripts/faults.sh --storage-faults {storagePairs}` on {DateTime.UtcNow:yyyy-MM-dd}.

        {storageTable}
        """);
    Console.WriteLine(storageTable);
    Console.WriteLine($"Written to {storageResults}.");
    return storage.AllIdentical ? 0 : 1;
}

if (rounds > 0)
{
    RoundsReport roundsReport = await new FaultHarness(options, Console.Out).RunRoundsAsync(rounds);
    string resultsDirectory = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results");
    await File.WriteAllTextAsync(Path.Combine(resultsDirectory, "rounds-memory.svg"), FaultHarness.MemoryChart(roundsReport));
    string roundsTable = FaultHarness.Describe(roundsReport);
    await File.WriteAllTextAsync(Path.Combine(resultsDirectory, "rounds.md"), $"""
        # Many rounds: memory, history and status across continue-as-new (long form)

        One worker (1 libtorch thread, 1 activity) on Azurite trains one run of {rounds} rounds, each a chunk of one step of
        a tiny model (flatten, then linear to 10 classes, on synthetic data), so that what the run does is the engine's
        bookkeeping: a round's orchestration turn, its activity, its checkpoint and its journal record. The run
        continues as new every {roundsReport.RoundsPerExecution} rounds. Every 2 s the harness reads the worker's and Azurite's resident memory
        (VmRSS), the current execution's history through the status route with `showHistory=true`, and times the run's
        status route. Produced by `scripts/faults.sh --rounds {rounds}` on {DateTime.UtcNow:yyyy-MM-dd}.

        ![resident memory against round](rounds-memory.svg)

        {roundsTable}
        """);
    Console.WriteLine(roundsTable);
    Console.WriteLine($"Written to {Path.Combine(resultsDirectory, "rounds.md")}.");
    return roundsReport.Status == "Completed" ? 0 : 1;
}

if (storageJobTrials > 0)
{
    const int Shards = 8;
    var jobOptions = options with { MaxSteps = 480, StepsPerChunk = 40 };
    var rates = new StorageFaultRates(ServerBusy: 0.05, InternalError: 0.05, LostResponse: 0.05, ResetMidBody: 0.05, Slow: 0.05, SlowMilliseconds: 500);
    StorageFaultJobsReport jobs = await new FaultHarness(jobOptions, Console.Out).RunJobsThroughStorageFaultsAsync(rates, storageJobTrials, Shards);
    string jobsTable = FaultHarness.Describe(jobs);
    string jobsResults = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results", "storage-faults-jobs.md");
    await File.WriteAllTextAsync(jobsResults, $"""
        # A sweep and a prediction job through a misbehaving storage (long form)

        Two worker processes (1 libtorch thread and 1 activity each, 15 s work-item visibility and partition leases) share
        one task hub; between them and Azurite sits the fault-injecting proxy, at {rates}, that is 5 % of every kind.
        An ASHA sweep (grace {jobOptions.StepsPerChunk} steps, η 2, 2 trials at a time) of {storageJobTrials} deterministic trials (synthetic
        data, CNN, {jobOptions.MaxSteps} steps, learning rates 0.0003 × 3^k, seed {jobOptions.Seed}) runs calm, then faulty. Then a model is trained
        calm and a batch prediction job over {Shards} shards of 500 images (2 parts at a time, CSV) runs faulty, then calm. A sweep's
        outcome is every trial's end (status, steps, last rung, reason), the best trial and its final weights' SHA-256; a
        job's is every part's path, rows and SHA-256. Produced by `scripts/faults.sh --storage-fault-jobs {storageJobTrials}` on
        {DateTime.UtcNow:yyyy-MM-dd}.

        {jobsTable}
        """);
    Console.WriteLine(jobsTable);
    Console.WriteLine($"Written to {jobsResults}.");
    return jobs.AllIdentical ? 0 : 1;
}

if (sweepTrials > 0)
{
    var sweepOptions = options with { MaxSteps = 480 };
    SweepFaultReport sweep = await new FaultHarness(sweepOptions, Console.Out).RunSweepAsync(sweepTrials);
    string sweepTable = FaultHarness.Describe(sweep, sweepOptions);
    string sweepResults = Path.Combine(DurableTrainer.Cli.LocalStack.RepositoryLayout.FindRoot(), "bench", "results", "faults-sweep.md");
    await File.WriteAllTextAsync(sweepResults, $"""
        # Fault harness: a sweep under worker kills (long form)

        Two worker processes share one task hub on Azurite. An ASHA sweep (grace {sweepOptions.StepsPerChunk} steps, η 2,
        2 trials at a time) of {sweepTrials} deterministic trials (synthetic data, CNN, {sweepOptions.MaxSteps} steps, learning rates
        0.0003 × 3^k, seed {sweepOptions.Seed}, 1 libtorch thread) runs once undisturbed and once while workers are SIGKILLed
        at random moments and restarted. Produced by `scripts/faults.sh --sweep {sweepTrials}` on {DateTime.UtcNow:yyyy-MM-dd}.

        | measure | value |
        | --- | --- |
        {sweepTable}
        """);
    Console.WriteLine(sweepTable);
    Console.WriteLine($"Written to {sweepResults}.");
    return sweep.DecisionsIdentical && sweep.BestIdentical && sweep.ChaosStatus == "Completed" ? 0 : 1;
}

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
