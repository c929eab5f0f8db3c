using DurableTrainer.Cli.Commands;
using DurableTrainer.Cli.Server;

namespace DurableTrainer.Cli.Watching;

/// <summary>
/// Polls a run until it ends, through the status query (full progress and suggestions) or, when the key does not
/// open that route (an Azure Functions app's webhooks want the system key), the summary. Rides out a server that
/// is briefly away (a restarting worker) for <see cref="OutageTolerance"/>, once it has answered at least once.
/// </summary>
public sealed class RunWatcher(TrainingServerClient client, TimeSpan interval)
{
    public static readonly TimeSpan OutageTolerance = TimeSpan.FromSeconds(30);

    private bool _summaryOnly;

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

                await Task.Delay(interval, cancellationToken);
            }
        });
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
