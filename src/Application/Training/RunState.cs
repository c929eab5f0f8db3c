using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>The state of one execution of a run: the session (fresh or restored) and what the loop carries beside it.</summary>
internal sealed class RunState
{
    public RunState(TrainingRunInput input, bool journaled)
    {
        Input = input;
        Recipe = TrainingRecipe.From(input.Specification);
        if (input.Resume is { } resume)
        {
            Session = TrainingSession.Restore(resume.Session);
            OuterMomentum = resume.OuterMomentum;
            Execution = resume.Execution + 1;
            Round = Session.RoundsDone;
            RungsReported = resume.RungsReported;
            JournalMark = resume.JournalMark;
        }
        else
        {
            Session = new TrainingSession(input.RunId);
            Execution = 1;
        }

        Journal = new JournalProjection(Session.LearningRateScale, journaled);
    }

    public TrainingRunInput Input { get; }
    public TrainingSpecification Specification => Input.Specification;
    public ExecutionSettings Settings => Input.Execution;
    public TrainingRecipe Recipe { get; }
    public TrainingSession Session { get; }

    /// <summary>The outer optimizer's momentum buffer (outer Nesterov merges), carried from round to round.</summary>
    public CheckpointReference? OuterMomentum { get; set; }

    /// <summary>Which execution of the run this is (1, then one more after each continue-as-new).</summary>
    public int Execution { get; }

    /// <summary>Rounds played in this execution: after <see cref="ExecutionSettings.RoundsPerExecution"/> it hands over.</summary>
    public int RoundsThisExecution { get; set; }

    /// <summary>True once this execution has handed the run over to a fresh one.</summary>
    public bool HandedOver { get; set; }

    /// <summary>The loop has nothing left to do in this execution: the run has ended, or it has been handed over.</summary>
    public bool Done => Session.IsFinished || HandedOver;

    /// <summary>The round in progress (or last run): what journal records of decisions are filed under.</summary>
    public long Round { get; set; }

    /// <summary>Why the finished run has no test figures, when testing it failed.</summary>
    public string? TestFailure { get; set; }

    /// <summary>How many of its sweep's rungs the run (a trial) has reported at.</summary>
    public int RungsReported { get; set; }

    /// <summary>Why the sweep's scheduler stopped the run, when it did.</summary>
    public string? StopDetail { get; set; }

    /// <summary>The rung the run pauses at next, when it is a trial with rungs left.</summary>
    public long? NextRung => Input.Trial is { } trial && RungsReported < trial.Rungs.Count ? trial.Rungs[RungsReported] : null;

    /// <summary>
    /// What the round measured on the checkpoint it ended on (see <see cref="Domain.Decisions.ForeseenEvaluations"/>),
    /// kept until the loop evaluates that checkpoint; only this execution's last round, so it is not carried over.
    /// </summary>
    public MeasuredInRound? Measured { get; set; }

    /// <summary>
    /// Housekeeping started at the end of a round and left to run beside the next round's chunks (the journal write,
    /// the pruning of retired checkpoints), so that it costs no hop between rounds. Awaited once those chunks return,
    /// and before the run ends or hands over.
    /// </summary>
    public List<Task> Housekeeping { get; } = [];

    /// <summary>Journal records not written yet.</summary>
    public JournalProjection Journal { get; }

    /// <summary>
    /// A cursor into the run's journal at or before its end once the last round's chunks returned: what a later
    /// chunk or journal write finds after it that it would write itself came from an earlier run of that same work.
    /// </summary>
    public long JournalMark { get; set; }

    /// <summary>Records an accepted round; returns what it made redundant (replica outputs behind a merge, the previous outer momentum).</summary>
    public List<CheckpointReference> Accept(RoundResult round)
    {
        Session.RecordRound(round.Metrics, round.Checkpoint);
        var redundant = new List<CheckpointReference>(round.Intermediates);
        if (round.OuterMomentum is not null)
        {
            if (OuterMomentum is not null)
            {
                redundant.Add(OuterMomentum);
            }

            OuterMomentum = round.OuterMomentum;
        }

        return redundant;
    }

    /// <summary>The input of the next execution: the same run, carrying on from the session as it is now.</summary>
    public TrainingRunInput NextExecutionInput() =>
        Input with { Resume = new TrainingResumeState(Session.ToSnapshot(), OuterMomentum, Execution, RungsReported) { JournalMark = JournalMark } };
}

/// <summary>
/// The evaluations a round made of the checkpoint it ended on, <see cref="Checkpoint"/>: by the chunk that wrote it
/// (one replica), or right after the merge that wrote it (several).
/// </summary>
internal sealed record MeasuredInRound(CheckpointReference Checkpoint, EvaluationResult? Validation, EvaluationResult? Test)
{
    /// <summary>The measurement of <paramref name="checkpoint"/> on <paramref name="split"/>, when the round made it.</summary>
    public EvaluationResult? Of(CheckpointReference checkpoint, EvaluationSplit split) =>
        checkpoint != Checkpoint ? null : split == EvaluationSplit.Test ? Test : Validation;
}
