using System.Diagnostics;
using DurableTrainer.Infrastructure.Storage;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// Logs the storage faults the SDK retried once per <see cref="DurableEngineOptions.StorageFaultLogInterval"/>, with a
/// count of each kind, and nothing in an interval without any: a throttled account shows as one line a minute, not as
/// one line per retry. A worker that stops logs what it counted since its last report. An interval of zero turns the
/// report off.
/// </summary>
public sealed partial class StorageFaultReporter(StorageClients clients, DurableEngineOptions options, ILogger<StorageFaultReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.StorageFaultLogInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.StorageFaultLogInterval);
        long lastReport = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Report(Stopwatch.GetElapsedTime(lastReport));
                lastReport = Stopwatch.GetTimestamp();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was counted since the last report is logged now rather than lost with the process.
            Report(Stopwatch.GetElapsedTime(lastReport));
        }
    }

    private void Report(TimeSpan since)
    {
        StorageFaultTally tally = clients.Faults.Take();
        if (tally.FaultCount > 0)
        {
            LogFaults(logger, since.TotalSeconds, tally.Describe(), tally.FaultCount, tally.Tries);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage faults in the last {Seconds:F0} s, each retried by the storage SDK: {Faults} ({FaultCount} of {Tries} tries).")]
    private static partial void LogFaults(ILogger logger, double seconds, string faults, long faultCount, long tries);
}
