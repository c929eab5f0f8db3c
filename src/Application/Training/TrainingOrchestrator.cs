using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// The ports the training loop works through. Control, clock, continuation and journal are optional; so is the
/// sweep channel, which only a trial of a sweep uses.
/// </summary>
public sealed record TrainingOrchestratorPorts(
    ITrainingExecutor Executor,
    ITrainingMonitor Monitor,
    ICheckpointPruner Pruner,
    ITrainingControl? Control = null,
    ITrainingClock? Clock = null,
    ITrainingContinuation? Continuation = null,
    ITrainingJournal? Journal = null,
    ISweepChannel? Sweep = null);

/// <summary>
/// The training loop: initialise, then round after round fan out one chunk per replica, merge, let the domain judge
/// the round (accept, roll back, fail), evaluate when told, adjust the learning rate, prune checkpoints, report,
/// and stop when told; every so many rounds hand over to a fresh execution with compact state. It awaits only its
/// ports and reads no clock, randomness or I/O of its own, so a durable engine can replay it from history.
/// </summary>
public sealed class TrainingOrchestrator
{
    private static readonly DateTime NoClock = DateTime.UnixEpoch;

    private readonly TrainingOrchestratorPorts _ports;
    private readonly PureTrainingService _domain;
    private readonly ITrainingControl _control;
    private readonly ITrainingJournal? _journal;
    private readonly RoundRunner _rounds;
    private readonly CorruptCheckpointRecovery _recovery;

    public TrainingOrchestrator(TrainingOrchestratorPorts ports, PureTrainingService domain)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = ports;
        _domain = domain;
        _control = ports.Control ?? NoTrainingControl.Instance;
        _journal = ports.Journal is NoTrainingJournal ? null : ports.Journal;
        _rounds = new RoundRunner(ports.Executor);
        _recovery = new CorruptCheckpointRecovery(ports.Pruner);
    }

    /// <summary>What the loop does after a round: play the next one, or end this execution.</summary>
    private enum Next
    {
        Round,
        End,
    }

    private DateTime Now => _ports.Clock?.UtcNow ?? NoClock;

    public async Task<TrainingOutcome> RunAsync(TrainingRunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunState(input, journaled: _journal is not null);
        IReadOnlyList<ValidationError> invalid = [.. input.Specification.Validated().Errors, .. input.Execution.Validate()];
        if (invalid.Count > 0)
        {
            // Only reachable if the orchestration was started around the use case; fail loudly rather than guess.
            run.Session.Fail("Invalid specification: " + string.Join("; ", invalid));
            EndTrial(run);
            return Outcome(run);
        }

        try
        {
            if (run.Session.Status == TrainingStatus.Pending)
            {
                await InitializeAsync(run);
            }

            bool handedOver = await TrainAsync(run);
            await SettleHousekeepingAsync(run);
            if (handedOver)
            {
                return Outcome(run) with { Status = TrainingOutcome.ContinuedAsNew };
            }
        }
        catch (Exception exception) when (!run.Session.IsFinished)
        {
            run.Session.Fail(exception.Message);
            // The run has failed already: a pruning that fails too only leaves checkpoints behind.
            await SettleHousekeepingAsync(run, quietly: true);
        }

        if (run.Session.Status is TrainingStatus.Completed or TrainingStatus.Stopped && run.Session.StepsDone > 0)
        {
            await TestAsync(run);
        }

        await JournalAsync(run);
        Report(run, run.Session.Status.ToString());
        EndTrial(run);
        return Outcome(run);
    }

    /// <summary>A trial tells its sweep how it ended: the status, the steps, its last validation metric and why.</summary>
    private void EndTrial(RunState run)
    {
        if (run.Input.Trial is not { } trial || _ports.Sweep is null)
        {
            return;
        }

        TrainingSession session = run.Session;
        TrialStatus status = session.Status switch
        {
            TrainingStatus.Completed => TrialStatus.Completed,
            TrainingStatus.Stopped => TrialStatus.Stopped,
            _ => TrialStatus.Failed,
        };
        string? reason = session.FailureReason ?? run.StopDetail ?? (status == TrialStatus.Completed ? null : session.StopReason?.ToString());
        double? test = session.TestEvaluation is { } tested ? run.Specification.Evaluation.MonitoredValue(tested) : null;
        _ports.Sweep.ReportEnded(trial, new TrialReport(trial.Trial, TrialReportKind.Ended, session.StepsDone, MonitoredValue(run), EndStatus: status, Reason: reason, Test: test));
    }

    private static double? MonitoredValue(RunState run) =>
        run.Session.LatestEvaluation is { } latest ? run.Specification.Evaluation.MonitoredValue(latest) : null;

    /// <summary>
    /// At a sweep's rung (a trial that has reached its next rung): evaluate there unless the last round already did,
    /// report the metric and wait for the verdict; a stop verdict ends the run as stopped by the scheduler.
    /// </summary>
    private async Task<Next> PassRungAsync(RunState run)
    {
        TrainingSession session = run.Session;
        if (run.Input.Trial is not { } trial || _ports.Sweep is null || run.NextRung is not { } rung || session.StepsDone < rung)
        {
            return Next.Round;
        }

        if (session.LatestEvaluation?.StepsDone != session.StepsDone)
        {
            (Next? end, StopReason? stop) = await ValidateAsync(run);
            if (end is { } ended)
            {
                return ended;
            }

            if (stop is { } reason)
            {
                // The run's own rules end it here (target, early stopping): that is its end, not a rung.
                if (RoundDecision.EndsEarlyFor(reason))
                {
                    session.Stop(reason);
                }
                else
                {
                    session.Complete(reason);
                }

                return Next.End;
            }
        }

        await JournalAsync(run);
        Report(run, "AtRung");
        RungVerdict verdict = await _ports.Sweep.ReportRungAsync(trial, new TrialReport(trial.Trial, TrialReportKind.Rung, session.StepsDone, MonitoredValue(run), Rung: run.RungsReported));
        run.RungsReported++;
        if (verdict.Continue)
        {
            return Next.Round;
        }

        if (_control.StopRequested)
        {
            session.Stop(StopReason.StopRequested);
        }
        else
        {
            run.StopDetail = verdict.Reason;
            session.Stop(StopReason.SchedulerStopped);
        }

        return Next.End;
    }

    /// <summary>
    /// Measures the final checkpoint, and the best one when it is another, on the test split, both at once. A failed
    /// test does not undo the training: the run keeps its status and the outcome says why there is no test figure.
    /// </summary>
    private async Task TestAsync(RunState run)
    {
        TrainingSession session = run.Session;
        Report(run, "Testing");
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

    private async Task InitializeAsync(RunState run)
    {
        _ports.Monitor.Report(new TrainingProgress(run.Session.RunId, "Initializing", 0, 0, 0, 0, 0, null, null, null, null, null, []));
        InitializationResult initialized = await _ports.Executor.InitializeAsync(
            new InitializeCommand(CheckpointReference.Initial(run.Session.RunId), run.Recipe));
        run.Session.Start(_domain.Plan(run.Specification, initialized.TrainExamples, run.Settings.StepsPerChunk, run.Settings.ChunkSeconds), initialized.Checkpoint, Now);
        Report(run, "Training");
    }

    /// <summary>Runs rounds until the run ends (false) or hands over to a new execution (true).</summary>
    private async Task<bool> TrainAsync(RunState run)
    {
        int roundsThisExecution = 0;
        while (true)
        {
            ApplyRequestedLearningRate(run.Session);
            // One journal write per round: what the previous round did and decided, and any requested adjustment.
            // It runs beside the next round's chunks.
            StartJournalWrite(run);
            if (roundsThisExecution >= run.Settings.RoundsPerExecution && _ports.Continuation is { } continuation)
            {
                await SettleHousekeepingAsync(run);
                continuation.ContinueAsNew(run.NextExecutionInput());
                return true;
            }

            if (await PassRungAsync(run) == Next.End)
            {
                return false;
            }

            NextRound next = _domain.PlanNextRound(run.Session, run.NextRung);
            if (next.IsNone)
            {
                run.Session.Complete(StopReason.PlanCompleted);
                return false;
            }

            roundsThisExecution++;
            run.Round = next.Round;
            if (await PlayRoundAsync(run, next) == Next.End)
            {
                return false;
            }
        }
    }

    /// <summary>One round, start to end: run it, judge it, evaluate when due, retire checkpoints, and stop or go on.</summary>
    private async Task<Next> PlayRoundAsync(RunState run, NextRound next)
    {
        TrainingSession session = run.Session;
        RoundResult round;
        try
        {
            round = await _rounds.RunAsync(run, next, _domain.ForeseeEvaluations(session, next, run.NextRung));
        }
        catch (CheckpointCorruptException corrupt)
        {
            await SettleHousekeepingAsync(run);
            return await RecoverAsync(run, corrupt);
        }

        await SettleHousekeepingAsync(run);

        switch (_domain.JudgeRound(session, run.Specification, round.Metrics))
        {
            case RoundVerdict.Fail fail:
                session.Fail(fail.Reason);
                return Next.End;
            case RoundVerdict.RollBack rollBack:
                // The round's outputs are garbage; the retry writes the same names, and nothing else reads them.
                await _ports.Pruner.PruneAsync([.. round.Intermediates, round.Checkpoint]);
                session.RollBack(rollBack.NewLearningRateScale, rollBack.Reason);
                Report(run, "RolledBack");
                return Next.Round;
        }

        run.Measured = round.Measured;
        List<CheckpointReference> redundant = AcceptRound(run, round);
        RoundDecision decision = _domain.DecideAfterRound(session, run.Specification, (Now - session.StartedAtUtc).TotalSeconds, _control.StopRequested);
        if (decision.Evaluate)
        {
            (Next? end, StopReason? stop) = await ValidateAsync(run);
            if (end is { } ended)
            {
                return ended;
            }

            if (stop is { } reason && decision is RoundDecision.GoOn)
            {
                decision = new RoundDecision.Stop(reason, Evaluate: false);
            }
        }

        RetireCheckpoints(run, redundant);
        if (decision is RoundDecision.Stop)
        {
            // The last round's pruning is waited for before the run ends, so that a failure fails the run as it would mid-run.
            await SettleHousekeepingAsync(run);
        }

        switch (decision)
        {
            case RoundDecision.Stop { EndsEarly: true } stop:
                session.Stop(stop.Reason);
                return Next.End;
            case RoundDecision.Stop stop:
                session.Complete(stop.Reason);
                return Next.End;
            default:
                Report(run, "Training");
                return Next.Round;
        }
    }

    /// <summary>Records an accepted round; returns what it made redundant (replica outputs behind a merge, the previous outer momentum).</summary>
    private static List<CheckpointReference> AcceptRound(RunState run, RoundResult round)
    {
        run.Session.RecordRound(round.Metrics, round.Checkpoint);
        var redundant = new List<CheckpointReference>(round.Intermediates);
        if (round.OuterMomentum is not null)
        {
            if (run.OuterMomentum is not null)
            {
                redundant.Add(run.OuterMomentum);
            }

            run.OuterMomentum = round.OuterMomentum;
        }

        return redundant;
    }

    /// <summary>
    /// Starts deleting what a round made redundant and what the retention policy retires, beside the next round:
    /// neither is the checkpoint (nor the momentum buffer) that round starts from.
    /// </summary>
    private void RetireCheckpoints(RunState run, List<CheckpointReference> redundant)
    {
        IReadOnlyList<CheckpointReference> retired = _domain.PlanRetention(run.Session, run.Specification);
        run.Journal.AddPruned(run.Session, run.Round, retired);

        redundant.AddRange(retired);
        if (redundant.Count > 0)
        {
            run.Housekeeping.Add(PruneAsync(run, redundant, retired));
        }
    }

    private async Task PruneAsync(RunState run, IReadOnlyList<CheckpointReference> redundant, IReadOnlyList<CheckpointReference> retired)
    {
        await _ports.Pruner.PruneAsync(redundant);
        run.Session.ForgetCheckpoints(retired);
    }

    /// <summary>
    /// Waits for the housekeeping left running (see <see cref="RunState.Housekeeping"/>). A failed pruning throws
    /// here, unless <paramref name="quietly"/> (journal writes never throw: they keep their records for the next).
    /// </summary>
    private static async Task SettleHousekeepingAsync(RunState run, bool quietly = false)
    {
        while (run.Housekeeping.Count > 0)
        {
            Task[] started = [.. run.Housekeeping];
            run.Housekeeping.Clear();
            try
            {
                await Task.WhenAll(started);
            }
            catch (Exception) when (quietly)
            {
            }
        }
    }

    private async Task<Next> RecoverAsync(RunState run, CheckpointCorruptException corrupt)
    {
        if (!await _recovery.RecoverAsync(run, corrupt))
        {
            return Next.End;
        }

        Report(run, "RolledBack");
        return Next.Round;
    }

    /// <summary>
    /// Evaluates on the validation split and carries out what the domain decides: a failure ends the run, a plateau
    /// cuts the learning rate. Returns how the loop ends when it does (a failure, or a corrupt checkpoint it could not
    /// recover from), and the reason to stop when the run's own rules say so.
    /// </summary>
    private async Task<(Next? End, StopReason? Stop)> ValidateAsync(RunState run)
    {
        EvaluationDecision evaluation;
        try
        {
            evaluation = await EvaluateAsync(run);
        }
        catch (CheckpointCorruptException corrupt)
        {
            return (await RecoverAsync(run, corrupt), null);
        }

        switch (evaluation)
        {
            case EvaluationDecision.Fail fail:
                run.Session.Fail(fail.Reason);
                return (Next.End, null);
            case EvaluationDecision.CutLearningRate cut:
                run.Session.AdjustLearningRate(cut.NewLearningRateScale, cut.Reason);
                return (null, null);
            case EvaluationDecision.Stop stop:
                return (null, stop.Reason);
            default:
                return (null, null);
        }
    }

    private async Task<EvaluationDecision> EvaluateAsync(RunState run)
    {
        EvaluationResult evaluation = await MeasureAsync(run, run.Session.LatestCheckpoint!, EvaluationSplit.Validation);
        run.Session.RecordEvaluation(evaluation.Metrics with { StepsDone = run.Session.StepsDone }, run.Specification);
        return _domain.DecideAfterEvaluation(run.Session, run.Specification);
    }

    /// <summary>A checkpoint measured on a split: what the chunk that wrote it measured, or else an evaluation call.</summary>
    private Task<EvaluationResult> MeasureAsync(RunState run, CheckpointReference checkpoint, EvaluationSplit split) =>
        run.Measured?.Of(checkpoint, split) is { } measured
            ? Task.FromResult(measured)
            : _ports.Executor.EvaluateAsync(new EvaluateCommand(checkpoint, run.Recipe, split));

    private void ApplyRequestedLearningRate(TrainingSession session)
    {
        // Out-of-range requests are dropped: an external event cannot be answered with an error.
        if (_control.TakeLearningRateScale() is { } scale && TrainingSession.IsValidLearningRateScale(scale))
        {
            session.AdjustLearningRate(scale, "requested through the adjust event");
        }
    }

    /// <summary>
    /// Writes what is pending (chunk metrics, and the decisions the session recorded as events since the last write)
    /// in one call, once the housekeeping left running is done.
    /// </summary>
    private async Task JournalAsync(RunState run)
    {
        await SettleHousekeepingAsync(run);
        StartJournalWrite(run);
        await SettleHousekeepingAsync(run);
    }

    /// <summary>
    /// Starts writing what is pending as housekeeping. Records are stamped with the orchestration clock, read only
    /// when there is a journal. The journal watches the run and must not end it: when a write fails (its retries
    /// spent), the records go back to pending and go with the next write.
    /// </summary>
    private void StartJournalWrite(RunState run)
    {
        if (_journal is null)
        {
            return;
        }

        run.Journal.CollectDecisions(run.Session, run.Round);
        if (run.Journal.Pending.Count > 0)
        {
            run.Housekeeping.Add(WriteJournalAsync(_journal, run, run.Journal.Take(Now)));
        }
    }

    private static async Task WriteJournalAsync(ITrainingJournal journal, RunState run, TrainingJournalRecord[] records)
    {
        try
        {
            await journal.AppendAsync(run.Session.RunId, records);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            run.Journal.Unwritten(records);
        }
    }

    private void Report(RunState run, string phase)
    {
        TrainingSession session = run.Session;
        TrainingPlan? plan = session.Plan;
        RoundMetrics? last = session.RecentRounds.Count > 0 ? session.RecentRounds[^1] : null;
        ProgressAnalysis? analysis = plan is null ? null : _domain.AnalyzeProgress(session);
        _ports.Monitor.Report(new TrainingProgress(
            session.RunId,
            phase,
            session.RoundsDone,
            plan is null ? 0 : _domain.EstimateTotalRounds(session),
            session.StepsDone,
            plan?.TotalSteps ?? 0,
            Math.Round(session.Epoch, 3),
            last?.MeanLoss,
            last?.SamplesPerSecond,
            Summary(session.LatestEvaluation),
            Summary(session.BestEvaluation),
            analysis?.SecondsRemaining,
            analysis?.Suggestions ?? [],
            session.LearningRateScale,
            session.RollbacksUsed,
            run.Execution));
    }

    private static TrainingOutcome Outcome(RunState run)
    {
        TrainingSession session = run.Session;
        return new TrainingOutcome(
            session.RunId,
            session.Status.ToString(),
            session.StopReason?.ToString(),
            session.FailureReason,
            session.StepsDone,
            session.RoundsDone,
            session.SamplesSeen,
            session.TrainingSeconds,
            session.LatestCheckpoint?.ToString(),
            session.BestCheckpoint?.ToString(),
            Summary(session.LatestEvaluation),
            Summary(session.BestEvaluation),
            session.RollbacksUsed,
            session.LearningRateScale,
            run.Execution,
            Summary(session.TestEvaluation),
            Summary(session.BestTestEvaluation),
            run.TestFailure,
            MonitorMetrics.NameOf(run.Specification.Evaluation.ResolvedMetric(run.Specification.Data.ResolvedTask())),
            run.StopDetail);
    }

    private static EvaluationSummary? Summary(EvaluationMetrics? metrics) => EvaluationSummary.Of(metrics);
}
