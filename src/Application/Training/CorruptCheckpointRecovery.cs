using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// What the loop does when a checkpoint fails its hash check. If the session holds it, training falls back to the
/// newest good one before it; if it was a round's intermediate output, the round runs again. Either way it costs
/// a rollback, and when none are left, or no good checkpoint is, the run fails. It never trains on a corrupt
/// checkpoint.
/// </summary>
internal sealed class CorruptCheckpointRecovery(ICheckpointPruner pruner, RunReporter reporter)
{
    /// <summary>Returns null when training can go on (and reports the rollback), or how the run fails.</summary>
    public async Task<RunEnd?> RecoverAsync(RunState run, CheckpointCorruptException corrupt)
    {
        TrainingSession session = run.Session;
        if (session.RollbacksUsed >= run.Specification.Stopping.MaxRollbacks)
        {
            return new RunEnd.Failed($"{corrupt.Message} No rollbacks are left ({session.RollbacksUsed} used).");
        }

        bool held = session.HeldCheckpoints.Any(checkpoint => checkpoint.Checkpoint == corrupt.Reference);
        if (!held)
        {
            session.RetryRound(corrupt.Message);
        }
        else if (!session.FallBackFrom(corrupt.Reference, corrupt.Message))
        {
            return new RunEnd.Failed($"{corrupt.Message} No earlier good checkpoint is left to fall back to.");
        }

        await pruner.PruneAsync([corrupt.Reference]);
        reporter.Report(run, TrainingPhase.RolledBack);
        return null;
    }
}
