using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Commands;
using DurableTrainer.Cli.Client;

namespace DurableTrainer.Cli.Watching;

/// <summary>
/// Polls a run until it ends, through the status query (full progress and suggestions) or, when the key does not
/// open that route (an Azure Functions app's webhooks want the system key), the summary. Rides out a server that
/// is briefly away (a restarting worker) for <see cref="OutageTolerance"/>, once it has answered at least once.
/// The run's last stretch is watched closely (see <see cref="DelayAfter"/>), so that the command ends when the run
/// does, not up to an interval later.
/// </summary>
public sealed class RunWatcher(TrainingServerClient client, TimeSpan interval)
{
    public static readonly TimeSpan OutageTolerance = TimeSpan.FromSeconds(30);

    /// <summary>The shortest wait: while the run is testing, or its estimate has less than a second to go.</summary>
    public static readonly TimeSpan FinalStretchInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long past its estimated end the watcher keeps looking closely. The estimate counts training steps only, so
    /// the last evaluations run past it; a run still going after this is looked at at the interval again.
    /// </summary>
    public static readonly TimeSpan FinalStretchOverrun = TimeSpan.FromSeconds(15);

    private bool _summaryOnly;

    // When this watcher first saw the estimate it holds (progress is reported between rounds, not during them, so a
    // round's estimate counts down from when it appeared), and which round's report it came from. Keyed by the step
    // and the estimate, not the status's update time: the episodes that settle a round's journal write or pruning
    // update the status with the same report, and restarting the countdown at each would wait out the interval at
    // the run's end.
    private (long Steps, double? Remaining)? _estimate;
    private DateTime _estimateSeenUtc;

    public async Task<RunSnapshot> WatchAsync(string runId, string? statusUri, IWatchView view, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(view);
        return await view.ShowAsync(async show =>
        {
            DateTime? outageSince = null;
            bool seen = false;
            while (true)
            {
                RunSnapshot snapshot;
                try
                {
                    snapshot = await GetAsync(runId, statusUri, cancellationToken);
                    outageSince = null;
                    seen = true;
                }
                catch (CliException exception) when (seen && exception.ExitCode == ExitCodes.Unreachable)
                {
                    outageSince ??= DateTime.UtcNow;
                    if (DateTime.UtcNow - outageSince > OutageTolerance)
                    {
                        throw;
                    }

                    await Task.Delay(interval, cancellationToken);
                    continue;
                }

                show(snapshot);
                if (!snapshot.IsRunning)
                {
                    return snapshot;
                }

                await Task.Delay(DelayAfter(snapshot, DateTime.UtcNow), cancellationToken);
            }
        });
    }

    /// <summary>
    /// How long to wait before the next look: the interval, or less as the run's foreseen end comes near. The end is
    /// what the last report estimated, counted from when this watcher first saw that report (on its own clock). The
    /// estimate can be early or late (the machine's speed changes; it does not count evaluations), so the watcher
    /// waits a tenth of the time left, no more than the interval, no less than <see cref="FinalStretchInterval"/>:
    /// it is then late by a tenth at most when the run ends early. From a second before the foreseen end until
    /// <see cref="FinalStretchOverrun"/> after it, and while the run tests, it looks every tenth of a second.
    /// </summary>
    public TimeSpan DelayAfter(RunSnapshot snapshot, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Progress is not { } progress || interval <= FinalStretchInterval)
        {
            return interval;
        }

        if (progress.Phase == TrainingPhase.Testing)
        {
            return FinalStretchInterval;
        }

        var estimate = (progress.Step, progress.SecondsRemaining);
        if (_estimate != estimate)
        {
            _estimate = estimate;
            _estimateSeenUtc = nowUtc;
        }

        if (progress.SecondsRemaining is not { } remaining)
        {
            return interval;
        }

        TimeSpan toEnd = _estimateSeenUtc + TimeSpan.FromSeconds(remaining) - nowUtc;
        if (toEnd < -FinalStretchOverrun)
        {
            return interval;
        }

        TimeSpan tenth = toEnd / 10;
        return tenth < FinalStretchInterval ? FinalStretchInterval : tenth < interval ? tenth : interval;
    }

    public async Task<RunSnapshot> GetAsync(string runId, string? statusUri, CancellationToken cancellationToken)
    {
        if (!_summaryOnly)
        {
            try
            {
                return RunSnapshot.From(await client.GetStatusAsync(runId, statusUri, cancellationToken));
            }
            catch (CliException exception) when (exception.ExitCode == ExitCodes.KeyRefused)
            {
                // The summary route may still accept the key (a function key on an Azure Functions app).
                _summaryOnly = true;
            }
        }

        return RunSnapshot.From(await client.GetSummaryAsync(runId, cancellationToken));
    }
}
