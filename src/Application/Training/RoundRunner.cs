using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// What a round produced: its metrics, the checkpoint it ends on, the outer momentum buffer, the outputs a merge made
/// redundant, and what it measured on that checkpoint (when foreseen).
/// </summary>
internal sealed record RoundResult(RoundMetrics Metrics, CheckpointReference Checkpoint, CheckpointReference? OuterMomentum, IReadOnlyList<CheckpointReference> Intermediates, MeasuredInRound? Measured = null);

/// <summary>
/// Plays one round: fans out one chunk per replica from the session's latest checkpoint, waits for all of them,
/// and merges their outputs when there is more than one (or the merge is an outer step). The evaluations
/// the caller foresees are made as early as they can be: when no merge follows, the chunk's output is
/// the round's checkpoint, so the chunk measures it while the model is in memory; after a merge they are started
/// side by side, so that a run's final validation and test take the longer of the two on a pool of workers rather
/// than their sum and one hop between them.
/// </summary>
internal sealed class RoundRunner(ITrainingExecutor executor)
{
    public async Task<RoundResult> RunAsync(RunState run, NextRound next, ForeseenEvaluations foreseen)
    {
        TrainingSession session = run.Session;
        TrainingPlan plan = session.Plan!;
        RunId runId = session.RunId;
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
                plan.TotalSteps) { Round = next.Round, Evaluate = merges ? ForeseenEvaluations.None : foreseen, JournalFrom = run.JournalMark }));
        }

        ChunkResult[] results = await Task.WhenAll(chunks);
        run.JournalMark = Math.Max(run.JournalMark, results.Max(result => result.JournalEnd));
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

        RoundMetrics metrics = Combine(next.Round, session.StepsDone, results);
        IReadOnlyList<CheckpointReference> intermediates = merged == outputs[0] ? [] : outputs;
        run.Journal.AddChunks(next.Round, metrics.StepsDone, results);
        MeasuredInRound measured = merges
            ? await MeasureMergedAsync(merged, run.Recipe, foreseen)
            : new MeasuredInRound(merged, results[0].Validation, results[0].Test);
        return new RoundResult(metrics, merged, momentum, intermediates, (measured.Validation ?? measured.Test) is null ? null : measured);
    }

    /// <summary>The round's metrics from its chunks': steps and samples add up, the mean loss is weighted by steps.</summary>
    private static RoundMetrics Combine(long round, long stepsBefore, ChunkResult[] results)
    {
        int steps = results.Sum(result => result.Steps);
        double meanLoss = results.Sum(result => result.MeanLoss * result.Steps) / Math.Max(steps, 1);
        double lastLoss = results.Average(result => result.LastLoss);
        // Replicas run side by side, so the round took as long as its slowest chunk.
        double seconds = results.Max(result => result.Seconds);
        return new RoundMetrics(round, stepsBefore + steps, meanLoss, lastLoss, results.Sum(result => result.Samples), seconds);
    }

    private async Task<MeasuredInRound> MeasureMergedAsync(CheckpointReference merged, TrainingRecipe recipe, ForeseenEvaluations foreseen)
    {
        Task<EvaluationResult?> validation = MeasureIfForeseenAsync(foreseen.Validation, EvaluationSplit.Validation);
        Task<EvaluationResult?> test = MeasureIfForeseenAsync(foreseen.Test, EvaluationSplit.Test);
        return new MeasuredInRound(merged, await validation, await test);

        Task<EvaluationResult?> MeasureIfForeseenAsync(bool isForeseen, EvaluationSplit split) =>
            isForeseen ? TryMeasureAsync(merged, recipe, split) : Task.FromResult<EvaluationResult?>(null);
    }

    /// <summary>
    /// A foreseen evaluation that fails is left unmade rather than failing the round: the loop evaluates again when it
    /// wants the figure, and handles the failure there as it would without the foresight (a corrupt checkpoint is
    /// recovered from, a failed test leaves the training as it is).
    /// </summary>
    private async Task<EvaluationResult?> TryMeasureAsync(CheckpointReference checkpoint, TrainingRecipe recipe, EvaluationSplit split)
    {
        try
        {
            return await executor.EvaluateAsync(new EvaluateCommand(checkpoint, recipe, split));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return null;
        }
    }
}
