using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>What a validation found: the run is on track (perhaps at a lower learning rate), its checkpoint proved corrupt and training fell back, or the run ends.</summary>
internal abstract record ValidationVerdict
{
    private ValidationVerdict()
    {
    }

    public static ValidationVerdict OnTrack { get; } = new GoesOn();

    public static ValidationVerdict FellBack { get; } = new Recovered();

    public sealed record GoesOn : ValidationVerdict;

    /// <summary>The checkpoint to validate was corrupt; the session has rolled back to a good one, and the round is over.</summary>
    public sealed record Recovered : ValidationVerdict;

    public sealed record Ends(RunEnd End) : ValidationVerdict;
}

/// <summary>
/// Measures checkpoints: validation (and carrying out what the domain decides on it) during the run, the test
/// split once it has ended. A figure the round already measured is taken as it is instead of asked for again.
/// </summary>
internal sealed class RunEvaluations(ITrainingExecutor executor, PureTrainingService domain, CorruptCheckpointRecovery recovery, RunReporter reporter)
{
    /// <summary>
    /// Evaluates the latest checkpoint on the validation split and carries out what the domain decides: a plateau
    /// cuts the learning rate; a non-finite loss fails the run; the target or exhausted patience ends it.
    /// </summary>
    public async Task<ValidationVerdict> ValidateAsync(RunState run)
    {
        EvaluationDecision decision;
        try
        {
            EvaluationResult evaluation = await MeasureAsync(run, run.Session.LatestCheckpoint!, EvaluationSplit.Validation);
            run.Session.RecordEvaluation(evaluation.Metrics with { StepsDone = run.Session.StepsDone }, run.Specification);
            decision = domain.DecideAfterEvaluation(run.Session, run.Specification);
        }
        catch (CheckpointCorruptException corrupt)
        {
            return await recovery.RecoverAsync(run, corrupt) is { } failed ? new ValidationVerdict.Ends(failed) : ValidationVerdict.FellBack;
        }

        switch (decision)
        {
            case EvaluationDecision.Fail fail:
                return new ValidationVerdict.Ends(new RunEnd.Failed(fail.Reason));
            case EvaluationDecision.Stop stop:
                return new ValidationVerdict.Ends(RunEnd.For(stop.Reason));
            case EvaluationDecision.CutLearningRate cut:
                run.Session.AdjustLearningRate(cut.NewLearningRateScale, cut.Reason);
                return ValidationVerdict.OnTrack;
            default:
                return ValidationVerdict.OnTrack;
        }
    }

    /// <summary>
    /// Measures the final checkpoint, and the best one when it is another, on the test split, both at once. A failed
    /// test does not undo the training: the run keeps its status and the outcome says why there is no test figure.
    /// </summary>
    public async Task TestAsync(RunState run)
    {
        TrainingSession session = run.Session;
        reporter.Report(run, TrainingPhase.Testing);
        CheckpointReference? best = session.BestCheckpoint is { } candidate && candidate != session.LatestCheckpoint ? candidate : null;
        try
        {
            Task<EvaluationResult> final = MeasureAsync(run, session.LatestCheckpoint!, EvaluationSplit.Test);
            Task<EvaluationResult>? bestResult = best is null ? null : MeasureAsync(run, best, EvaluationSplit.Test);
            EvaluationResult finalResult = await final;
            long bestSteps = session.BestEvaluation?.StepsDone ?? 0;
            session.RecordTest(
                finalResult.Metrics with { StepsDone = session.StepsDone },
                bestResult is null ? null : (await bestResult).Metrics with { StepsDone = bestSteps });
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            run.TestFailure = exception.Message;
        }
    }

    /// <summary>A checkpoint measured on a split: what the round that wrote it measured, or else an evaluation call.</summary>
    private Task<EvaluationResult> MeasureAsync(RunState run, CheckpointReference checkpoint, EvaluationSplit split) =>
        run.Measured?.Of(checkpoint, split) is { } measured
            ? Task.FromResult(measured)
            : executor.EvaluateAsync(new EvaluateCommand(checkpoint, run.Recipe, split));
}
