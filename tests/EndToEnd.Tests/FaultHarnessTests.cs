using DurableTrainer.FaultHarness;
using Xunit.Abstractions;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// The fault harness in its short form: two worker kills and one Azurite outage during a deterministic run, two
/// worker kills during an ASHA sweep of deterministic trials, and a run, a sweep and a batch prediction job through a
/// storage that throttles, loses answers, resets connections and answers slowly.
/// </summary>
public sealed class FaultHarnessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledWorkersAndAStorageOutage_LoseNothingAndEndOnBitwiseTheSameWeights()
    {
        var options = new FaultHarnessOptions(Kills: 2, Outages: 1, OutageLength: TimeSpan.FromSeconds(3), MaxSteps: 320, StepsPerChunk: 40, Seed: 5,
            WorkDirectory: Path.Combine(Path.GetTempPath(), "durabletrainer-faults", Guid.NewGuid().ToString("N")[..8]));
        using var log = new StringWriter();

        FaultReport report = await new FaultHarness.FaultHarness(options, log).RunAsync();
        output.WriteLine(log.ToString());
        output.WriteLine(FaultHarness.FaultHarness.Describe(report, options));

        Assert.Equal("Completed", report.ChaosStatus);
        Assert.True(report.WeightsIdentical, $"{report.ReferenceHash} != {report.ChaosHash}");
        Assert.Equal(2, report.KillsSurvived);
        Assert.Equal(1, report.OutagesSurvived);
        Assert.All(report.RecoverySeconds, seconds => Assert.True(seconds < 60, $"Recovery took {seconds:F1} s."));
        Assert.True(report.CheckpointsVerified > 0);
        DeleteWorkDirectory(options);
    }

    [Fact]
    public async Task KilledWorkersDuringASweep_ChangeNoDecision_NorTheBestTrialsWeights()
    {
        var options = new FaultHarnessOptions(Kills: 2, Outages: 0, OutageLength: TimeSpan.Zero, MaxSteps: 160, StepsPerChunk: 40, Seed: 5,
            WorkDirectory: Path.Combine(Path.GetTempPath(), "durabletrainer-faults", Guid.NewGuid().ToString("N")[..8]));
        using var log = new StringWriter();

        SweepFaultReport report = await new FaultHarness.FaultHarness(options, log).RunSweepAsync(trials: 4);
        output.WriteLine(log.ToString());
        output.WriteLine(FaultHarness.FaultHarness.Describe(report, options));

        Assert.Equal("Completed", report.ChaosStatus);
        Assert.Equal(2, report.KillsSurvived);
        Assert.True(report.DecisionsIdentical, $"{string.Join(" | ", report.ReferenceDecisions)} != {string.Join(" | ", report.ChaosDecisions)}");
        Assert.Contains(report.ChaosDecisions, decision => decision.Contains("Stopped", StringComparison.Ordinal));
        Assert.True(report.BestIdentical, $"best {report.ReferenceBest} {report.ReferenceBestHash} != {report.ChaosBest} {report.ChaosBestHash}");
        DeleteWorkDirectory(options);
    }

    [Fact]
    public async Task ARunThroughAMisbehavingStorage_EndsOnTheCalmRunsWeights_WithEveryJournalLineOnce()
    {
        var options = new FaultHarnessOptions(Kills: 0, Outages: 0, OutageLength: TimeSpan.Zero, MaxSteps: 240, StepsPerChunk: 40, Seed: 5,
            WorkDirectory: Path.Combine(Path.GetTempPath(), "durabletrainer-faults", Guid.NewGuid().ToString("N")[..8]));
        var rates = new StorageFaultRates(ServerBusy: 0.05, InternalError: 0.01, LostResponse: 0.02, ResetMidBody: 0.01, Slow: 0.01, SlowMilliseconds: 500);
        using var log = new StringWriter();

        StorageFaultReport report = await new FaultHarness.FaultHarness(options, log).RunStorageFaultsAsync(rates, pairs: 1);
        output.WriteLine(log.ToString());
        output.WriteLine(FaultHarness.FaultHarness.Describe(report));

        StorageFaultPair pair = Assert.Single(report.Pairs);
        Assert.Equal("Completed", pair.FaultyStatus);
        Assert.True(pair.WeightsIdentical);
        Assert.Equal(pair.CalmJournalLines, pair.FaultyJournalLines);
        Assert.True(pair.JournalRecordsMatch, "The faulty run's journal holds other records than the calm run's.");
        Assert.All(Enum.GetValues<StorageFault>(), fault => Assert.True(pair.Faults[fault] > 0, $"No {fault} was injected in {pair.Requests} requests."));
        Assert.True(report.CheckpointsVerified > 0);
        // Faults are logged once per interval per worker, with counts, not once per retry.
        int injected = pair.Faults.Values.Sum();
        Assert.NotEmpty(report.FaultLogLines);
        Assert.True(report.FaultLogLines.Count <= 2 * (report.WorkerSeconds / FaultHarness.FaultHarness.FaultLogInterval.TotalSeconds + 1), $"{report.FaultLogLines.Count} fault lines in {report.WorkerSeconds:F0} s");
        Assert.True(report.FaultLogLines.Count < injected, $"{report.FaultLogLines.Count} fault lines for {injected} faults");
        Assert.Contains(report.FaultLogLines, line => line.Contains("503 ServerBusy ×", StringComparison.Ordinal));
        DeleteWorkDirectory(options);
    }

    [Fact]
    public async Task ASweepAndAPredictionJobThroughAMisbehavingStorage_EndExactlyAsTheCalmOnesDo()
    {
        var options = new FaultHarnessOptions(Kills: 0, Outages: 0, OutageLength: TimeSpan.Zero, MaxSteps: 160, StepsPerChunk: 40, Seed: 5,
            WorkDirectory: Path.Combine(Path.GetTempPath(), "durabletrainer-faults", Guid.NewGuid().ToString("N")[..8]));
        var rates = new StorageFaultRates(ServerBusy: 0.05, InternalError: 0.01, LostResponse: 0.02, ResetMidBody: 0.01, Slow: 0.01, SlowMilliseconds: 500);
        using var log = new StringWriter();

        StorageFaultJobsReport report = await new FaultHarness.FaultHarness(options, log).RunJobsThroughStorageFaultsAsync(rates, sweepTrials: 4, predictionShards: 4);
        output.WriteLine(log.ToString());
        output.WriteLine(FaultHarness.FaultHarness.Describe(report));

        Assert.Equal("Completed", report.Sweep.FaultyStatus);
        Assert.True(report.Sweep.OutcomeIdentical, report.Sweep.Outcome);
        Assert.Contains("Stopped", report.Sweep.Outcome, StringComparison.Ordinal);
        Assert.Equal("Completed", report.Prediction.FaultyStatus);
        Assert.True(report.Prediction.OutcomeIdentical, report.Prediction.Outcome);
        Assert.All(new[] { report.Sweep, report.Prediction }, job => Assert.True(job.Faults.Values.Sum() > 0, $"No fault was injected into the {job.Kind} in {job.Requests} requests."));
        Assert.True(report.CheckpointsVerified > 0);
        DeleteWorkDirectory(options);
    }

    private static void DeleteWorkDirectory(FaultHarnessOptions options)
    {
        try
        {
            Directory.Delete(options.WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Azurite may still be letting go of its files.
        }
    }
}
