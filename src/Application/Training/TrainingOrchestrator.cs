using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>The ports the training loop works through. Control, clock, continuation and journal are optional.</summary>
public sealed record TrainingOrchestratorPorts(
    ITrainingExecutor Executor,
    ITrainingMonitor Monitor,
    ICheckpointPruner Pruner,
    ITrainingControl? Control = null,
    ITrainingClock? Clock = null,
    ITrainingContinuation? Continuation = null,
    ITrainingJournal? Journal = null);

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

    public TrainingOrchestrator(TrainingOrchestratorPorts ports, PureTrainingService domain)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = ports;
        _domain = domain;
        _control = ports.Control ?? NoTrainingControl.Instance;
        _journal = ports.Journal is NoTrainingJournal ? null : ports.Journal;
    }

    private DateTime Now => _ports.Clock?.UtcNow ?? NoClock;

    public async Task<TrainingOutcome> RunAsync(TrainingRunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidationResult<Hyperparameters> validation = TrainingRequestMapper.ToHyperparameters(input.Request);
        var run = new RunState(input, validation.Value);
        if (!validation.IsValid)
        {
            // Only reachable if the orchestration was started around the use case; fail loudly rather than guess.
            run.Session.Fail("Invalid hyperparameters: " + string.Join("; ", validation.Errors));
            return Outcome(run);
        }

        try
        {
            if (run.Session.Status == TrainingStatus.Pending)
            {
                await InitializeAsync(run);
            }

            if (await TrainAsync(run))
            {
                return Outcome(run) with { Status = TrainingOutcome.ContinuedAsNew };
            }
        }
        catch (Exception exception) when (!run.Session.IsFinished)
        {
            run.Session.Fail(exception.Message);
        }

        await JournalAsync(run);
        Report(run, run.Session.Status.ToString());
        return Outcome(run);
    }

    private async Task InitializeAsync(RunState run)
    {
        _ports.Monitor.Report(new TrainingProgress(run.Session.RunId, "Initializing", 0, 0, 0, 0, 0, null, null, null, null, null, []));
        InitializationResult initialized = await _ports.Executor.InitializeAsync(
            new InitializeCommand(CheckpointReference.Initial(run.Session.RunId), run.Recipe));
        run.Session.Start(_domain.Plan(run.Hyperparameters, initialized.TrainExamples), initialized.Checkpoint, Now);
        Report(run, "Training");
    }

    /// <summary>Runs rounds until the run ends (false) or hands over to a new execution (true).</summary>
    private async Task<bool> TrainAsync(RunState run)
    {
        TrainingSession session = run.Session;
        Hyperparameters hyperparameters = run.Hyperparameters;
        int roundsThisExecution = 0;
        while (true)
        {
            ApplyRequestedLearningRate(session);
            // One journal write per round: what the previous round did and decided, and any requested adjustment.
            await JournalAsync(run);
            if (roundsThisExecution >= hyperparameters.RoundsPerExecution && _ports.Continuation is { } continuation)
            {
                continuation.ContinueAsNew(run.Input with { Resume = new TrainingResumeState(session.ToSnapshot(), run.OuterMomentum, run.Execution) });
                return true;
            }

            NextRound next = _domain.PlanNextRound(session);
            if (next.IsNone)
            {
                session.Complete(StopReason.PlanCompleted);
                return false;
            }

            RoundResult round;
            run.Round = next.Round;
            try
            {
                round = await RunRoundAsync(run, next);
            }
            catch (CheckpointCorruptException corrupt)
            {
                roundsThisExecution++;
                if (!await RecoverFromCorruptionAsync(run, corrupt))
                {
                    return false;
                }

                continue;
            }

            roundsThisExecution++;
            RoundVerdict verdict = _domain.JudgeRound(session, hyperparameters, round.Metrics);
            if (verdict.Kind == RoundVerdictKind.Fail)
            {
                session.Fail(verdict.Reason!);
                return false;
            }

            if (verdict.Kind == RoundVerdictKind.RollBack)
            {
                // The round's outputs are garbage; the retry writes the same names, and nothing else reads them.
                await _ports.Pruner.PruneAsync([.. round.Intermediates, round.Checkpoint]);
                session.RollBack(verdict.NewLearningRateScale!.Value, verdict.Reason!);
                Report(run, "RolledBack");
                continue;
            }

            session.RecordRound(round.Metrics, round.Checkpoint);
            var prune = new List<CheckpointReference>(round.Intermediates);
            if (round.OuterMomentum is not null)
            {
                if (run.OuterMomentum is not null)
                {
                    prune.Add(run.OuterMomentum);
                }

                run.OuterMomentum = round.OuterMomentum;
            }

            RoundDecision decision = _domain.DecideAfterRound(session, hyperparameters, (Now - session.StartedAtUtc).TotalSeconds, _control.StopRequested);
            if (decision.Evaluate)
            {
                RoundDecision afterEvaluation;
                try
                {
                    afterEvaluation = await EvaluateAsync(run);
                }
                catch (CheckpointCorruptException corrupt)
                {
                    if (!await RecoverFromCorruptionAsync(run, corrupt))
                    {
                        return false;
                    }

                    continue;
                }

                if (afterEvaluation.ShouldFail)
                {
                    session.Fail(afterEvaluation.FailureReason!);
                    return false;
                }

                if (afterEvaluation.NewLearningRateScale is { } scale)
                {
                    session.AdjustLearningRate(scale, afterEvaluation.LearningRateReason ?? "plateau");
                }

                if (!decision.ShouldStop && afterEvaluation.ShouldStop)
                {
                    decision = afterEvaluation;
                }
            }

            IReadOnlyList<CheckpointReference> retired = _domain.PlanRetention(session, hyperparameters);
            JournalPruned(run, retired);
            prune.AddRange(retired);
            if (prune.Count > 0)
            {
                await _ports.Pruner.PruneAsync(prune);
                session.ForgetCheckpoints(retired);
            }

            if (decision.Stop is { } reason)
            {
                if (RoundDecision.EndsEarly(reason))
                {
                    session.Stop(reason);
                }
                else
                {
                    session.Complete(reason);
                }

                return false;
            }

            Report(run, "Training");
        }
    }

    /// <summary>
    /// A checkpoint failed its hash check. If the session holds it, training falls back to the newest good one
    /// before it; if it was a round's intermediate output, the round runs again. Either way it costs a rollback,
    /// and when none are left, or no good checkpoint is, the run fails. It never trains on a corrupt checkpoint.
    /// </summary>
    private async Task<bool> RecoverFromCorruptionAsync(RunState run, CheckpointCorruptException corrupt)
    {
        TrainingSession session = run.Session;
        if (session.RollbacksUsed >= run.Hyperparameters.MaxRollbacks)
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

        await _ports.Pruner.PruneAsync([corrupt.Reference]);
        Report(run, "RolledBack");
        return true;
    }

    private async Task<RoundDecision> EvaluateAsync(RunState run)
    {
        EvaluationResult evaluation = await _ports.Executor.EvaluateAsync(new EvaluateCommand(run.Session.LatestCheckpoint!, run.Recipe));
        run.Session.RecordEvaluation(new EvaluationMetrics(run.Session.StepsDone, evaluation.Loss, evaluation.Accuracy, evaluation.Examples), run.Hyperparameters);
        return _domain.DecideAfterEvaluation(run.Session, run.Hyperparameters);
    }

    private void ApplyRequestedLearningRate(TrainingSession session)
    {
        // Out-of-range requests are dropped: an external event cannot be answered with an error.
        if (_control.TakeLearningRateScale() is { } scale && TrainingSession.IsValidLearningRateScale(scale))
        {
            session.AdjustLearningRate(scale, "requested through the adjust event");
        }
    }

    private async Task<RoundResult> RunRoundAsync(RunState run, NextRound next)
    {
        TrainingSession session = run.Session;
        TrainingPlan plan = session.Plan!;
        string runId = session.RunId;
        CheckpointReference start = session.LatestCheckpoint!;
        long replicaStepsBefore = session.StepsDone / plan.Replicas;
        var chunks = new List<Task<ChunkResult>>(plan.Replicas);
        for (int replica = 0; replica < plan.Replicas; replica++)
        {
            chunks.Add(_ports.Executor.RunChunkAsync(new ChunkCommand(
                start,
                CheckpointReference.ForReplica(runId, next.Round, replica),
                replica,
                plan.Replicas,
                replicaStepsBefore,
                next.StepsPerReplica,
                session.LearningRateScale,
                run.Recipe,
                plan.TotalSteps)));
        }

        ChunkResult[] results = await Task.WhenAll(chunks);
        CheckpointReference[] outputs = results.Select(result => result.Checkpoint).ToArray();
        bool outer = run.Hyperparameters.MergeStrategy == MergeStrategy.OuterNesterov;
        CheckpointReference merged = outputs[0];
        CheckpointReference? momentum = null;
        if (plan.Replicas > 1 || outer)
        {
            momentum = outer ? new CheckpointReference(runId, $"round-{next.Round:D6}/outer-momentum") : null;
            merged = await _ports.Executor.MergeAsync(new MergeCommand(
                outputs,
                CheckpointReference.Merged(runId, next.Round),
                run.Recipe,
                run.Hyperparameters.MergeStrategy,
                start,
                run.Hyperparameters.OuterLearningRate,
                run.Hyperparameters.OuterMomentum,
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
        JournalChunks(run, next.Round, metrics.StepsDone, results);
        return new RoundResult(metrics, merged, momentum, intermediates);
    }

    /// <summary>
    /// Writes what is pending (chunk metrics, and the decisions the session recorded as events since the last write)
    /// in one call. Records are stamped with the orchestration clock, read only when there is a journal. The journal
    /// watches the run and must not end it: when a write fails (its retries spent), the records stay pending and go
    /// with the next round's write.
    /// </summary>
    private async Task JournalAsync(RunState run)
    {
        if (_journal is null)
        {
            return;
        }

        CollectDecisions(run);
        if (run.Pending.Count == 0)
        {
            return;
        }

        DateTime now = Now;
        TrainingJournalRecord[] records = run.Pending.Select(record => record.Time == default ? record with { Time = now } : record).ToArray();
        try
        {
            await _journal.AppendAsync(run.Session.RunId, records);
            run.Pending.Clear();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            run.Pending.Clear();
            run.Pending.AddRange(records);
        }
    }

    private void CollectDecisions(RunState run)
    {
        TrainingSession session = run.Session;
        IReadOnlyList<TrainingEvent> events = session.Events;
        for (; run.EventsJournaled < events.Count; run.EventsJournaled++)
        {
            if (Describe(run, events[run.EventsJournaled]) is { } record)
            {
                run.Pending.Add(record);
            }

            if (events[run.EventsJournaled] is RolledBack rolledBack && rolledBack.LearningRateScale != run.JournaledScale)
            {
                run.Pending.Add(Record(TrainingJournalRecord.LearningRateKind, rolledBack.StepsDone, run) with { Scale = rolledBack.LearningRateScale, Reason = "rollback: " + rolledBack.Reason });
            }

            run.JournaledScale = events[run.EventsJournaled] switch
            {
                RolledBack rolled => rolled.LearningRateScale,
                LearningRateAdjusted adjusted => adjusted.Scale,
                _ => run.JournaledScale,
            };
        }
    }

    private static TrainingJournalRecord? Describe(RunState run, TrainingEvent trainingEvent)
    {
        TrainingSession session = run.Session;
        return trainingEvent switch
        {
            EvaluationCompleted evaluation => Record(TrainingJournalRecord.EvaluationKind, evaluation.Metrics.StepsDone, run) with
            {
                Loss = TrainingJournalRecord.Finite(evaluation.Metrics.Loss),
                Accuracy = TrainingJournalRecord.Finite(evaluation.Metrics.Accuracy),
            },
            CheckpointSaved saved => Record(TrainingJournalRecord.CheckpointKind, saved.StepsDone, run) with { Checkpoint = saved.Checkpoint.Name, Status = "kept" },
            LearningRateAdjusted adjusted => Record(TrainingJournalRecord.LearningRateKind, session.StepsDone, run) with { Scale = adjusted.Scale, Reason = adjusted.Reason },
            RolledBack rolledBack => Record(TrainingJournalRecord.RollbackKind, rolledBack.StepsDone, run) with { Checkpoint = rolledBack.To.Name, Reason = rolledBack.Reason },
            TrainingCompleted completed => Record(TrainingJournalRecord.StopKind, completed.StepsDone, run) with { Reason = completed.Reason.ToString(), Status = nameof(TrainingStatus.Completed) },
            TrainingStopped stopped => Record(TrainingJournalRecord.StopKind, stopped.StepsDone, run) with { Reason = stopped.Reason.ToString(), Status = nameof(TrainingStatus.Stopped) },
            TrainingFailed failed => Record(TrainingJournalRecord.StopKind, session.StepsDone, run) with { Reason = failed.Reason, Status = nameof(TrainingStatus.Failed) },
            _ => null,
        };
    }

    /// <summary>Per-replica chunk means; and per-step metrics when the executor returned them (the durable host journals those in the chunk's activity).</summary>
    private void JournalChunks(RunState run, long round, long stepsAfter, IReadOnlyList<ChunkResult> results)
    {
        if (_journal is null)
        {
            return;
        }

        for (int replica = 0; replica < results.Count; replica++)
        {
            ChunkResult result = results[replica];
            foreach (StepMetric step in result.StepMetrics ?? [])
            {
                run.Pending.Add(Record(TrainingJournalRecord.StepKind, step.Step, run) with
                {
                    Replica = replica,
                    Loss = TrainingJournalRecord.Finite(step.Loss),
                    LearningRate = step.LearningRate,
                });
            }

            run.Pending.Add(Record(TrainingJournalRecord.ChunkKind, stepsAfter, run) with
            {
                Round = round,
                Replica = replica,
                Loss = TrainingJournalRecord.Finite(result.MeanLoss),
                SamplesPerSecond = result.Seconds > 0 ? Math.Round(result.Samples / result.Seconds, 1) : null,
                Seconds = Math.Round(result.Seconds, 3),
            });
        }
    }

    /// <summary>A kept checkpoint the retention policy retires is journaled again as pruned (same identity, so it replaces the kept record).</summary>
    private void JournalPruned(RunState run, IReadOnlyList<CheckpointReference> retired)
    {
        if (_journal is null)
        {
            return;
        }

        // Collect first, so a kept record always precedes its pruned one.
        CollectDecisions(run);
        foreach (HeldCheckpoint held in run.Session.HeldCheckpoints.Where(held => held.AtInterval && retired.Contains(held.Checkpoint)))
        {
            run.Pending.Add(new TrainingJournalRecord(TrainingJournalRecord.CheckpointKind, held.StepsDone, default) { Round = held.Round, Checkpoint = held.Checkpoint.Name, Status = "pruned" });
        }
    }

    private static TrainingJournalRecord Record(string kind, long step, RunState run) => new(kind, step, default) { Round = run.Round };

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
            plan?.Rounds ?? 0,
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
            run.Execution);
    }

    private static EvaluationSummary? Summary(EvaluationMetrics? metrics) =>
        metrics is null ? null : new EvaluationSummary(metrics.StepsDone, metrics.Loss, metrics.Accuracy);

    private sealed record RoundResult(RoundMetrics Metrics, CheckpointReference Checkpoint, CheckpointReference? OuterMomentum, IReadOnlyList<CheckpointReference> Intermediates);

    /// <summary>The state of one execution of a run: the session (fresh or restored) and what the loop carries beside it.</summary>
    private sealed class RunState
    {
        public RunState(TrainingRunInput input, Hyperparameters? hyperparameters)
        {
            Input = input;
            Hyperparameters = hyperparameters!;
            Recipe = hyperparameters is null ? null! : TrainingRecipe.From(hyperparameters);
            if (input.Resume is { } resume)
            {
                Session = TrainingSession.Restore(resume.Session);
                OuterMomentum = resume.OuterMomentum;
                Execution = resume.Execution + 1;
                Round = Session.RoundsDone;
                JournaledScale = Session.LearningRateScale;
            }
            else
            {
                Session = new TrainingSession(input.RunId);
                Execution = 1;
            }
        }

        public TrainingRunInput Input { get; }
        public Hyperparameters Hyperparameters { get; }
        public TrainingRecipe Recipe { get; }
        public TrainingSession Session { get; }
        public CheckpointReference? OuterMomentum { get; set; }
        public int Execution { get; }

        /// <summary>The round in progress (or last run): what journal records of decisions are filed under.</summary>
        public long Round { get; set; }

        /// <summary>Journal records not written yet, and how far the session's events have been turned into records.</summary>
        public List<TrainingJournalRecord> Pending { get; } = [];
        public int EventsJournaled { get; set; }
        public double JournaledScale { get; set; } = 1.0;
    }
}
