using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// The training loop: initialise, then round after round fan out one chunk per replica, merge, ask the domain what
/// to do, evaluate when told, report, and stop when told. It awaits only the executor and reads no clock, no
/// randomness and no I/O of its own, so a durable engine can replay it from history.
/// </summary>
public sealed class TrainingOrchestrator(
    ITrainingExecutor executor,
    ITrainingMonitor monitor,
    PureTrainingService domain,
    ITrainingControl? control = null)
{
    private readonly ITrainingControl _control = control ?? NoTrainingControl.Instance;

    public async Task<TrainingOutcome> RunAsync(TrainingRunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var session = new TrainingSession(input.RunId);
        ValidationResult<Hyperparameters> validation = TrainingRequestMapper.ToHyperparameters(input.Request);
        if (!validation.IsValid)
        {
            // Only reachable if the orchestration was started around the use case; fail loudly rather than guess.
            session.Fail("Invalid hyperparameters: " + string.Join("; ", validation.Errors));
            return Outcome(session);
        }

        Hyperparameters hyperparameters = validation.GetValueOrThrow();
        var recipe = TrainingRecipe.From(hyperparameters);

        try
        {
            await TrainAsync(session, hyperparameters, recipe);
        }
        catch (Exception exception) when (!session.IsFinished)
        {
            session.Fail(exception.Message);
        }

        Report(session, session.Status.ToString());
        return Outcome(session);
    }

    private async Task TrainAsync(TrainingSession session, Hyperparameters hyperparameters, TrainingRecipe recipe)
    {
        monitor.Report(new TrainingProgress(session.RunId, "Initializing", 0, 0, 0, 0, 0, null, null, null, null, null, []));
        InitializationResult initialized = await executor.InitializeAsync(
            new InitializeCommand(CheckpointReference.Initial(session.RunId), recipe));
        TrainingPlan plan = domain.Plan(hyperparameters, initialized.TrainExamples);
        session.Start(plan, initialized.Checkpoint);
        Report(session, "Training");

        while (true)
        {
            ApplyRequestedLearningRate(session);
            NextRound next = domain.PlanNextRound(session);
            if (next.IsNone)
            {
                session.Complete(StopReason.PlanCompleted);
                return;
            }

            await RunRoundAsync(session, plan, next, recipe);
            RoundDecision decision = domain.DecideAfterRound(session);
            if (decision.Evaluate)
            {
                await EvaluateAsync(session, recipe);
                RoundDecision afterEvaluation = domain.DecideAfterEvaluation(session, hyperparameters);
                decision = afterEvaluation.ShouldFail || afterEvaluation.ShouldStop ? afterEvaluation : decision with { Evaluate = false };
            }

            if (decision.ShouldFail)
            {
                session.Fail(decision.FailureReason!);
                return;
            }

            if (decision.ShouldStop)
            {
                session.Complete(decision.Stop!.Value);
                return;
            }

            if (_control.StopRequested)
            {
                // Finish as a person would expect: the round is done, so measure it, then stop on its checkpoint.
                if (session.StepsAtLastEvaluation != session.StepsDone)
                {
                    await EvaluateAsync(session, recipe);
                }

                session.Stop(StopReason.StopRequested);
                return;
            }

            Report(session, "Training");
        }
    }

    private async Task EvaluateAsync(TrainingSession session, TrainingRecipe recipe)
    {
        EvaluationResult evaluation = await executor.EvaluateAsync(new EvaluateCommand(session.LatestCheckpoint!, recipe));
        session.RecordEvaluation(new EvaluationMetrics(session.StepsDone, evaluation.Loss, evaluation.Accuracy, evaluation.Examples));
    }

    private void ApplyRequestedLearningRate(TrainingSession session)
    {
        // Out-of-range requests are dropped: an external event cannot be answered with an error.
        if (_control.TakeLearningRateScale() is { } scale && TrainingSession.IsValidLearningRateScale(scale))
        {
            session.AdjustLearningRate(scale, "requested through the adjust event");
        }
    }

    private async Task RunRoundAsync(TrainingSession session, TrainingPlan plan, NextRound next, TrainingRecipe recipe)
    {
        CheckpointReference start = session.LatestCheckpoint!;
        long replicaStepsBefore = session.StepsDone / plan.Replicas;
        var chunks = new List<Task<ChunkResult>>(plan.Replicas);
        for (int replica = 0; replica < plan.Replicas; replica++)
        {
            chunks.Add(executor.RunChunkAsync(new ChunkCommand(
                start,
                CheckpointReference.ForReplica(session.RunId, next.Round, replica),
                replica,
                plan.Replicas,
                replicaStepsBefore,
                next.StepsPerReplica,
                session.LearningRateScale,
                recipe)));
        }

        ChunkResult[] results = await Task.WhenAll(chunks);
        CheckpointReference merged = plan.Replicas == 1
            ? results[0].Checkpoint
            : await executor.MergeAsync(new MergeCommand(
                results.Select(result => result.Checkpoint).ToArray(),
                CheckpointReference.Merged(session.RunId, next.Round),
                recipe));

        int steps = results.Sum(result => result.Steps);
        double meanLoss = results.Sum(result => result.MeanLoss * result.Steps) / Math.Max(steps, 1);
        double lastLoss = results.Average(result => result.LastLoss);
        // Replicas run side by side, so the round took as long as its slowest chunk.
        double seconds = results.Max(result => result.Seconds);
        session.RecordRound(
            new RoundMetrics(next.Round, session.StepsDone + steps, meanLoss, lastLoss, results.Sum(result => result.Samples), seconds),
            merged);
    }

    private void Report(TrainingSession session, string phase)
    {
        TrainingPlan? plan = session.Plan;
        RoundMetrics? last = session.RecentRounds.Count > 0 ? session.RecentRounds[^1] : null;
        ProgressAnalysis? analysis = plan is null ? null : domain.AnalyzeProgress(session);
        monitor.Report(new TrainingProgress(
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
            session.LearningRateScale));
    }

    private static TrainingOutcome Outcome(TrainingSession session) => new(
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
        Summary(session.BestEvaluation));

    private static EvaluationSummary? Summary(EvaluationMetrics? metrics) =>
        metrics is null ? null : new EvaluationSummary(metrics.StepsDone, metrics.Loss, metrics.Accuracy);
}
