using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
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
/// The training loop: initialise; then, until the run is done, advance it by one round (fan out one chunk per
/// replica, merge, let the domain judge the round, evaluate when told, retire checkpoints); then finish (test, last
/// journal write, last report). Every way a run ends reaches <see cref="End"/> as a <see cref="RunEnd"/>. It awaits
/// only its ports and reads no clock, randomness or I/O of its own, so a durable engine can replay it from history.
/// </summary>
public sealed class TrainingOrchestrator
{
    private static readonly DateTime NoClock = DateTime.UnixEpoch;

    private readonly TrainingOrchestratorPorts _ports;
    private readonly PureTrainingService _domain;
    private readonly ITrainingControl _control;
    private readonly RoundRunner _rounds;
    private readonly RunReporter _reporter;
    private readonly RunHousekeeping _housekeeping;
    private readonly CorruptCheckpointRecovery _recovery;
    private readonly RunEvaluations _evaluations;
    private readonly TrialRungs _rungs;
    private readonly bool _journaled;

    public TrainingOrchestrator(TrainingOrchestratorPorts ports, PureTrainingService domain)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = ports;
        _domain = domain;
        _control = ports.Control ?? NoTrainingControl.Instance;
        ITrainingJournal? journal = ports.Journal is NoTrainingJournal ? null : ports.Journal;
        _journaled = journal is not null;
        _rounds = new RoundRunner(ports.Executor);
        _reporter = new RunReporter(ports.Monitor, domain);
        _housekeeping = new RunHousekeeping(ports.Pruner, journal, domain, () => Now);
        _recovery = new CorruptCheckpointRecovery(ports.Pruner, _reporter);
        _evaluations = new RunEvaluations(ports.Executor, domain, _recovery, _reporter);
        _rungs = new TrialRungs(ports.Sweep, _control, _evaluations, _housekeeping, _reporter);
    }

    private DateTime Now => _ports.Clock?.UtcNow ?? NoClock;

    public async Task<TrainingOutcome> RunAsync(TrainingRunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunState(input, _journaled);
        IReadOnlyList<ValidationError> invalid = [.. input.Specification.Validated().Errors, .. input.Execution.Validate()];
        if (invalid.Count > 0)
        {
            // Only reachable if the orchestration was started around the use case; fail loudly rather than guess.
            End(run, new RunEnd.Failed("Invalid specification: " + string.Join("; ", invalid)));
            _rungs.ReportEnded(run);
            return RunReporter.Outcome(run);
        }

        if (await TrainAsync(run) && _ports.Continuation is { } continuation)
        {
            continuation.ContinueAsNew(run.NextExecutionInput());
            return RunReporter.Outcome(run);
        }

        await FinishAsync(run);
        return RunReporter.Outcome(run);
    }

    /// <summary>Initialises a new run, then advances it until it ends (false) or is handed over (true).</summary>
    private async Task<bool> TrainAsync(RunState run)
    {
        try
        {
            if (run.Session.Status == TrainingStatus.Pending)
            {
                await InitializeAsync(run);
                RunEnd? end = NothingLeftToContinue(run);
                if (end is null && run.Specification.Model.InitFrom is not null)
                {
                    end = await ValidateStartAsync(run);
                }

                if (end is not null)
                {
                    End(run, end);
                }
            }

            while (!run.Done)
            {
                if (await AdvanceAsync(run) is { } end)
                {
                    End(run, end);
                }
            }

            await RunHousekeeping.SettleAsync(run);
            return run.HandedOver;
        }
        catch (Exception exception) when (!run.Session.IsFinished)
        {
            End(run, new RunEnd.Failed(exception.Message));
            // The run has failed already: a pruning that fails too only leaves checkpoints behind.
            await RunHousekeeping.SettleAsync(run, quietly: true);
            return false;
        }
    }

    private async Task InitializeAsync(RunState run)
    {
        _reporter.Report(run, TrainingPhase.Initializing);
        InitializationResult initialized = await _ports.Executor.InitializeAsync(
            new InitializeCommand(CheckpointReference.Initial(run.Session.RunId), run.Recipe));
        TrainingPlan plan = _domain.Plan(run.Specification, initialized.TrainExamples, run.Settings.StepsPerChunk, run.Settings.ChunkSeconds);
        run.Session.Start(plan, initialized.Checkpoint, Now, initialized.ReplicaStepsDone * run.Specification.Replicas.Count);
        _reporter.Report(run, TrainingPhase.Training);
    }

    /// <summary>A run that continues another must have steps left to take: its new total is past the steps done.</summary>
    private static RunEnd.Failed? NothingLeftToContinue(RunState run) =>
        run.Specification.Model.InitFrom is { } init && init.IsContinuation() && run.Session.StepsDone >= run.Session.Plan!.TotalSteps
            ? new RunEnd.Failed($"Run '{init.Run}' has done {run.Session.StepsDone} steps already and this run's plan is {run.Session.Plan.TotalSteps}: continuing it needs a larger training.maxSteps or training.epochs.")
            : null;

    /// <summary>
    /// A run that starts from existing weights measures them on validation before its first step, so its starting
    /// point is on record (and is its best checkpoint until a round beats it), as fine-tuning libraries validate first.
    /// A run that continues another does the same at the step it continues from.
    /// </summary>
    private async Task<RunEnd?> ValidateStartAsync(RunState run) =>
        await _evaluations.ValidateAsync(run) is ValidationVerdict.Ends ends ? ends.End : null;

    /// <summary>
    /// One turn of the loop: take a requested learning rate, start the journal write of what the last round did,
    /// then hand over, pass a sweep's rung, or play the next round. Returns how the run ends, or null to go on.
    /// </summary>
    private async Task<RunEnd?> AdvanceAsync(RunState run)
    {
        ApplyRequestedLearningRate(run.Session);
        // One journal write per round: what the previous round did and decided. It runs beside the next round's chunks.
        _housekeeping.StartJournalWrite(run);
        if (run.RoundsThisExecution >= run.Settings.RoundsPerExecution && _ports.Continuation is not null)
        {
            return RunEnd.HandOver;
        }

        if (await _rungs.PassIfDueAsync(run) is { } endedAtRung)
        {
            return endedAtRung;
        }

        NextRound next = _domain.PlanNextRound(run.Session, run.NextRung);
        if (next.IsNone)
        {
            return new RunEnd.Completed(StopReason.PlanCompleted);
        }

        run.RoundsThisExecution++;
        run.Round = next.Round;
        return await PlayRoundAsync(run, next);
    }

    /// <summary>Runs a round and lets the domain judge it: a diverged round is rolled back (or fails the run), a good one is kept.</summary>
    private async Task<RunEnd?> PlayRoundAsync(RunState run, NextRound next)
    {
        TrainingSession session = run.Session;
        RoundResult round;
        try
        {
            round = await _rounds.RunAsync(run, next, _domain.ForeseeEvaluations(session, next, run.NextRung));
        }
        catch (CheckpointCorruptException corrupt)
        {
            await RunHousekeeping.SettleAsync(run);
            return await _recovery.RecoverAsync(run, corrupt);
        }

        await RunHousekeeping.SettleAsync(run);
        switch (_domain.JudgeRound(session, run.Specification, round.Metrics))
        {
            case RoundVerdict.Fail fail:
                return new RunEnd.Failed(fail.Reason);
            case RoundVerdict.RollBack rollBack:
                await _housekeeping.DiscardAsync([.. round.Intermediates, round.Checkpoint]);
                session.RollBack(rollBack.NewLearningRateScale, rollBack.Reason);
                _reporter.Report(run, TrainingPhase.RolledBack);
                return null;
            default:
                return await KeepRoundAsync(run, round);
        }
    }

    /// <summary>Records a good round, evaluates when due, retires checkpoints, and says whether the run stops here.</summary>
    private async Task<RunEnd?> KeepRoundAsync(RunState run, RoundResult round)
    {
        TrainingSession session = run.Session;
        run.Measured = round.Measured;
        List<CheckpointReference> redundant = run.Accept(round);
        RoundDecision decision = _domain.DecideAfterRound(session, run.Specification, (Now - session.StartedAtUtc).TotalSeconds, _control.StopRequested);
        RunEnd? end = decision is RoundDecision.Stop stop ? RunEnd.For(stop.Reason) : null;
        if (decision.Evaluate)
        {
            switch (await _evaluations.ValidateAsync(run))
            {
                case ValidationVerdict.Recovered:
                    return null;
                case ValidationVerdict.Ends { End: RunEnd.Failed failed }:
                    return failed;
                case ValidationVerdict.Ends stopsHere:
                    end ??= stopsHere.End;
                    break;
            }
        }

        _housekeeping.RetireCheckpoints(run, redundant);
        if (end is not null)
        {
            // The last round's pruning is waited for before the run ends, so that a failure fails the run as it would mid-run.
            await RunHousekeeping.SettleAsync(run);
            return end;
        }

        _reporter.Report(run, TrainingPhase.Training);
        return null;
    }

    /// <summary>Where every way a run ends is carried out.</summary>
    private static void End(RunState run, RunEnd end)
    {
        switch (end)
        {
            case RunEnd.Completed completed:
                run.Session.Complete(completed.Reason);
                break;
            case RunEnd.Stopped stopped:
                run.StopDetail = stopped.Detail;
                run.Session.Stop(stopped.Reason);
                break;
            case RunEnd.Failed failed:
                run.Session.Fail(failed.Reason);
                break;
            case RunEnd.HandedOver:
                run.HandedOver = true;
                break;
        }
    }

    /// <summary>After the run has ended: the test split, the last journal write, the last report, the sweep told.</summary>
    private async Task FinishAsync(RunState run)
    {
        if (run.Session.Status is TrainingStatus.Completed or TrainingStatus.Stopped && run.Session.StepsDone > 0)
        {
            await _evaluations.TestAsync(run);
        }

        await _housekeeping.JournalAsync(run);
        _reporter.Report(run, RunReporter.FinalPhase(run.Session));
        _rungs.ReportEnded(run);
    }

    private void ApplyRequestedLearningRate(TrainingSession session)
    {
        // Out-of-range requests are dropped: an external event cannot be answered with an error.
        if (_control.TakeLearningRateScale() is { } scale && TrainingSession.IsValidLearningRateScale(scale))
        {
            session.AdjustLearningRate(scale, "requested through the adjust event");
        }
    }
}
