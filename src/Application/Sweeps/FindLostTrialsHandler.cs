using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Sweeps;

/// <summary>
/// Finds the trials a sweep believes are running whose runs can no longer report: terminated or failed by hand (a
/// run ends reporting to its sweep only when its own loop ends it), or purged. A completed run is not lost: its
/// report was sent as it completed and is on its way.
/// </summary>
public sealed class FindLostTrialsHandler(ITrainingRunStarter runs)
{
    public async Task<IReadOnlyList<LostTrial>> FindAsync(FindLostTrialsCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var lost = new List<LostTrial>();
        foreach (int trial in command.Trials)
        {
            RunId runId = SweepRecord.TrialRunId(command.SweepId, trial);
            InstanceRuntimeStatus? status = await runs.GetRuntimeStatusAsync(runId, cancellationToken);
            if (status is null)
            {
                lost.Add(new LostTrial(trial, $"its run {runId} no longer exists (purged?) and never reported its end"));
            }
            else if (status.Value.EndedAbnormally())
            {
                lost.Add(new LostTrial(trial, $"its run {runId} ended {status} without reporting to the sweep (terminated by hand?)"));
            }
        }

        return lost;
    }
}
