using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// What a round produced: its metrics, the checkpoint it ends on, the outer momentum buffer, the outputs a merge made
/// redundant, and what its chunk measured on that checkpoint (when it asked).
/// </summary>
internal sealed record RoundResult(RoundMetrics Metrics, CheckpointReference Checkpoint, CheckpointReference? OuterMomentum, IReadOnlyList<CheckpointReference> Intermediates, MeasuredInChunk? Measured = null);

/// <summary>
/// Plays one round: fans out one chunk per replica from the session's latest checkpoint, waits for all of them,
/// and merges their outputs when there is more than one (or the merge is an outer step). When no merge follows, the
/// chunk's output is the round's checkpoint, so the chunk is asked to measure it as <paramref name="foreseen"/> says.
/// </summary>
internal sealed class RoundRunner(ITrainingExecutor executor)
{
    public async Task<RoundResult> RunAsync(RunState run, NextRound next, ForeseenEvaluations foreseen)
    {
        TrainingSession session = run.Session;
        TrainingPlan plan = session.Plan!;
        string runId = session.RunId;
        CheckpointReference start = session.LatestCheckpoint!;
        long replicaStepsBefore = session.StepsDone / plan.Replicas;
        bool outer = run.Specification.Replicas.Merge == MergeStrategy.OuterNesterov;
        bool merges = plan.Replicas > 1 || outer;
        var chunks = new List<Task<ChunkResult>>(plan.Replicas);
        for (int replica = 0; replica < plan.Replicas; replica++)
        {
            chunks.Add(executor.RunChunkAsync(new ChunkCommand(
                start,
                CheckpointReference.ForReplica(runId, next.Round, replica),
                replica,
                plan.Replicas,
                replicaStepsBefore,
                next.StepsPerReplica,
                session.LearningRateScale,
                run.Recipe,
                plan.TotalSteps) { Evaluate = merges ? ForeseenEvaluations.None : foreseen }));
        }

        ChunkResult[] results = await Task.WhenAll(chunks);
        CheckpointReference[] outputs = results.Select(result => result.Checkpoint).ToArray();
        CheckpointReference merged = outputs[0];
        CheckpointReference? momentum = null;
        if (merges)
        {
            momentum = outer ? new CheckpointReference(runId, $"round-{next.Round:D6}/outer-momentum") : null;
            merged = await executor.MergeAsync(new MergeCommand(
                outputs,
                CheckpointReference.Merged(runId, next.Round),
                run.Recipe,
                run.Specification.Replicas,
                start,
                run.OuterMomentum,
                momentum));
        }

        int steps = results.Sum(result => result.Steps);
        double meanLoss = results.Sum(result => result.MeanLoss * result.Steps) / Math.Max(steps, 1);
        double lastLoss = results.Average(result => result.LastLoss);
        // Replicas run side by side, so the round took as long as its slowest chunk.
        double seconds = results.Max(result => result.Seconds);
        var metrics = new RoundMetrics(next.Round, session.StepsDone + steps, meanLoss, lastLoss, results.Sum(result => result.Samples), seconds);
        IReadOnlyList<CheckpointReference> intermediates = merged == outputs[0] ? [] : outputs;
        run.Journal.AddChunks(next.Round, metrics.StepsDone, results);
        MeasuredInChunk? measured = !merges && (results[0].Validation ?? results[0].Test) is not null
            ? new MeasuredInChunk(merged, results[0].Validation, results[0].Test)
            : null;
        return new RoundResult(metrics, merged, momentum, intermediates, measured);
    }
}
