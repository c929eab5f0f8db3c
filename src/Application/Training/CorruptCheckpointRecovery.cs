using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// What the loop does when a checkpoint fails its hash check. If the session holds it, training falls back to the
/// newest good one before it; if it was a round's intermediate output, the round runs again. Either way it costs
/// a rollback, and when none are left, or no good checkpoint is, the run fails. It never trains on a corrupt
/// checkpoint.
/// </summary>
internal sealed class CorruptCheckpointRecovery(ICheckpointPruner pruner)
{
    /// <summary>Returns true when training can go on, false when the run has failed.</summary>
    public async Task<bool> RecoverAsync(RunState run, CheckpointCorruptException corrupt)
    {
        TrainingSession session = run.Session;
        if (session.RollbacksUsed >= run.Specification.Stopping.MaxRollbacks)
        {
            session.Fail($"{corrupt.Message} No rollbacks are left ({session.RollbacksUsed} used).");
            return false;
        }

        bool held = session.HeldCheckpoints.Any(checkpoint => checkpoint.Checkpoint == corrupt.Reference);
        if (!held)
        {
            session.RetryRound(corrupt.Message);
        }
        else if (!session.FallBackFrom(corrupt.Reference, corrupt.Message))
        {
            session.Fail($"{corrupt.Message} No earlier good checkpoint is left to fall back to.");
            return false;
        }

        await pruner.PruneAsync([corrupt.Reference]);
        return true;
    }
}
