using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>The run a new one starts from, found through the host's run client as every route finds a run's model.</summary>
public sealed class RunCheckpointsLookup(ITrainingRunClient runs) : IRunCheckpoints
{
    public async Task<RunCheckpointLookup> FindAsync(RunId run, CheckpointChoice which, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (await runs.GetAsync(run.Value, cancellationToken) is not { } record)
        {
            return RunCheckpointLookup.NoSuchRun;
        }

        return RunCheckpoints.Find(run, record, which) is ({ } checkpoint, _) && RunRecordPayloads.Read<TrainingRunInput>(record.SerializedInput) is { } input
            ? RunCheckpointLookup.Found(checkpoint, input.Specification)
            : RunCheckpointLookup.Missing(record.RuntimeStatus.ToString());
    }
}
