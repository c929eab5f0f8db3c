using DurableTrainer.Domain.Events;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Training;

/// <summary>
/// One training run as the domain sees it: its status, how far it has come, what it measured, which checkpoints it
/// holds and which is best. Transitions are guarded by status; events are raised only on real changes.
/// </summary>
public sealed class TrainingSession
{
    /// <summary>How many round and evaluation metrics are kept; older ones are dropped so the session stays small.</summary>
    public const int HistoryCapacity = 64;

    public const double MaxLearningRateScale = 100;

    private readonly List<TrainingEvent> _events = [];
    private readonly List<RoundMetrics> _rounds = [];
    private readonly List<EvaluationMetrics> _evaluations = [];
    private readonly List<HeldCheckpoint> _held = [];

    public TrainingSession(RunId runId)
    {
        ArgumentNullException.ThrowIfNull(runId);
        RunId = runId;
    }

    public RunId RunId { get; }
    public TrainingStatus Status { get; private set; } = TrainingStatus.Pending;
    public TrainingPlan? Plan { get; private set; }
    public DateTime StartedAtUtc { get; private set; }
    public long RoundsDone { get; private set; }
    public long StepsDone { get; private set; }
    public long SamplesSeen { get; private set; }
    public double TrainingSeconds { get; private set; }
    public CheckpointReference? LatestCheckpoint { get; private set; }
    public EvaluationMetrics? LatestEvaluation => _evaluations.Count > 0 ? _evaluations[^1] : null;
    public EvaluationMetrics? BestEvaluation { get; private set; }
    public CheckpointReference? BestCheckpoint { get; private set; }

    /// <summary>The final checkpoint measured on the test split, once the run has ended.</summary>
    public EvaluationMetrics? TestEvaluation { get; private set; }

    /// <summary>The best checkpoint (by validation) measured on the test split, when it is not the final one.</summary>
    public EvaluationMetrics? BestTestEvaluation { get; private set; }

    /// <summary>The best value of the monitored metric so far; it only ever improves.</summary>
    public double? BestMetric { get; private set; }

    /// <summary>The lowest mean round loss so far, the yardstick of the divergence guard.</summary>
    public double? BestTrainingLoss { get; private set; }

    public int EvaluationsSinceImprovement { get; private set; }
    public int EvaluationsSinceLearningRateChange { get; private set; }
    public long StepsAtLastEvaluation => LatestEvaluation?.StepsDone ?? 0;
    public StopReason? StopReason { get; private set; }
    public string? FailureReason { get; private set; }

    /// <summary>Multiplies the configured learning rate from the next round on.</summary>
    public double LearningRateScale { get; private set; } = 1.0;

    public int RollbacksUsed { get; private set; }
    public IReadOnlyList<RoundMetrics> RecentRounds => _rounds;
    public IReadOnlyList<EvaluationMetrics> RecentEvaluations => _evaluations;
    public IReadOnlyList<HeldCheckpoint> HeldCheckpoints => _held;
    public IReadOnlyList<TrainingEvent> Events => _events;

    public double Epoch => Plan is null || Plan.StepsPerEpoch == 0 ? 0 : (double)StepsDone / Plan.StepsPerEpoch;

    public bool IsFinished => Status is TrainingStatus.Completed or TrainingStatus.Stopped or TrainingStatus.Failed;

    public static bool IsValidLearningRateScale(double scale) => double.IsFinite(scale) && scale > 0 && scale <= MaxLearningRateScale;

    /// <summary>
    /// Starts the run from its first checkpoint. A run that continues another starts at the steps that one had done
    /// (<paramref name="stepsDone"/>), so its rounds, cursor and schedule carry on from there.
    /// </summary>
    public void Start(TrainingPlan plan, CheckpointReference initialCheckpoint, DateTime startedAtUtc, long stepsDone = 0)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(initialCheckpoint);
        ArgumentOutOfRangeException.ThrowIfNegative(stepsDone);
        EnsureStatus(TrainingStatus.Pending, nameof(Start));
        Plan = plan;
        StartedAtUtc = startedAtUtc;
        StepsDone = stepsDone;
        LatestCheckpoint = initialCheckpoint;
        _held.Add(new HeldCheckpoint(initialCheckpoint, stepsDone, AtInterval: true));
        Status = TrainingStatus.Running;
        _events.Add(new TrainingStarted(RunId, plan));
    }

    /// <summary>Accepts a finished round: its checkpoint becomes the latest, and is kept if it crossed an interval.</summary>
    public void RecordRound(RoundMetrics metrics, CheckpointReference checkpoint)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(checkpoint);
        EnsureStatus(TrainingStatus.Running, nameof(RecordRound));
        if (metrics.StepsDone <= StepsDone)
        {
            throw new InvalidOperationException($"A round must move training forward: {metrics.StepsDone} <= {StepsDone}.");
        }

        long interval = Plan!.CheckpointIntervalSteps;
        bool atInterval = metrics.StepsDone / interval > StepsDone / interval || metrics.StepsDone >= Plan.TotalSteps;
        RoundsDone = metrics.Round;
        SamplesSeen += metrics.Samples;
        TrainingSeconds += metrics.Seconds;
        StepsDone = metrics.StepsDone;
        LatestCheckpoint = checkpoint;
        if (double.IsFinite(metrics.MeanLoss) && (BestTrainingLoss is null || metrics.MeanLoss < BestTrainingLoss))
        {
            BestTrainingLoss = metrics.MeanLoss;
        }

        Append(_rounds, metrics);
        _held.RemoveAll(held => held.Checkpoint == checkpoint);
        _held.Add(new HeldCheckpoint(checkpoint, metrics.StepsDone, atInterval, metrics.Round));
        _events.Add(new ChunkCompleted(RunId, metrics, checkpoint));
        if (atInterval)
        {
            _events.Add(new CheckpointSaved(RunId, checkpoint, metrics.StepsDone));
        }
    }

    /// <summary>
    /// Records an evaluation of the latest checkpoint. It becomes the best (and resets the patience counters) only
    /// if it beats the best by more than the early-stopping minimum delta in the monitored direction.
    /// </summary>
    public void RecordEvaluation(EvaluationMetrics metrics, TrainingSpecification specification)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(specification);
        EnsureStatus(TrainingStatus.Running, nameof(RecordEvaluation));
        double value = specification.Evaluation.MonitoredValue(metrics);
        bool isBest = double.IsFinite(value) && specification.Evaluation.IsImprovement(value, BestMetric, specification.Stopping.EarlyStoppingMinDelta);
        if (isBest)
        {
            BestMetric = value;
            BestEvaluation = metrics;
            BestCheckpoint = LatestCheckpoint;
            EvaluationsSinceImprovement = 0;
            EvaluationsSinceLearningRateChange = 0;
        }
        else
        {
            EvaluationsSinceImprovement++;
            EvaluationsSinceLearningRateChange++;
        }

        Append(_evaluations, metrics);
        _events.Add(new EvaluationCompleted(RunId, metrics, isBest));
    }

    /// <summary>
    /// Records the test split's verdict on the final checkpoint, and on the best one when that is another. Only a
    /// run that ended with a model (completed or stopped) is tested; the test split never steers training.
    /// </summary>
    public void RecordTest(EvaluationMetrics final, EvaluationMetrics? best)
    {
        ArgumentNullException.ThrowIfNull(final);
        if (Status is not (TrainingStatus.Completed or TrainingStatus.Stopped))
        {
            throw new InvalidOperationException($"Cannot test run {RunId}: it is {Status}; only a completed or stopped run is tested.");
        }

        TestEvaluation = final;
        BestTestEvaluation = best;
        _events.Add(new TestEvaluated(RunId, final, LatestCheckpoint!, OfBest: false));
        if (best is not null && BestCheckpoint is not null)
        {
            _events.Add(new TestEvaluated(RunId, best, BestCheckpoint, OfBest: true));
        }
    }

    /// <summary>Discards a diverged round: training goes on from the latest checkpoint with a smaller learning rate.</summary>
    public void RollBack(double newScale, string reason)
    {
        EnsureStatus(TrainingStatus.Running, nameof(RollBack));
        if (!IsValidLearningRateScale(newScale))
        {
            throw new ArgumentOutOfRangeException(nameof(newScale), newScale, $"A learning-rate scale must be greater than 0 and at most {MaxLearningRateScale}.");
        }

        RollbacksUsed++;
        LearningRateScale = newScale;
        _events.Add(new RolledBack(RunId, LatestCheckpoint!, StepsDone, newScale, reason));
    }

    /// <summary>
    /// Gives up a held checkpoint found corrupt: training goes back to the newest good checkpoint before it (its
    /// rounds will be trained again). Returns false, changing nothing, when no earlier checkpoint is held.
    /// </summary>
    public bool FallBackFrom(CheckpointReference corrupt, string reason)
    {
        ArgumentNullException.ThrowIfNull(corrupt);
        EnsureStatus(TrainingStatus.Running, nameof(FallBackFrom));
        HeldCheckpoint? bad = _held.FirstOrDefault(held => held.Checkpoint == corrupt);
        long limit = bad?.StepsDone ?? StepsDone + 1;
        HeldCheckpoint? target = _held.Where(held => held.Checkpoint != corrupt && held.StepsDone < limit).MaxBy(held => held.StepsDone);
        if (target is null)
        {
            return false;
        }

        _held.RemoveAll(held => held.StepsDone > target.StepsDone || held.Checkpoint == corrupt);
        _evaluations.RemoveAll(evaluation => evaluation.StepsDone > target.StepsDone);
        if (BestCheckpoint is not null && !_held.Any(held => held.Checkpoint == BestCheckpoint))
        {
            // The best checkpoint is gone, so nothing is known to be best any more.
            BestCheckpoint = null;
            BestEvaluation = null;
            BestMetric = null;
        }

        LatestCheckpoint = target.Checkpoint;
        StepsDone = target.StepsDone;
        RoundsDone = target.Round;
        RollbacksUsed++;
        _events.Add(new RolledBack(RunId, target.Checkpoint, target.StepsDone, LearningRateScale, reason));
        return true;
    }

    /// <summary>Counts a retry of a round whose intermediate outputs were corrupt (nothing held was lost).</summary>
    public void RetryRound(string reason)
    {
        EnsureStatus(TrainingStatus.Running, nameof(RetryRound));
        RollbacksUsed++;
        _events.Add(new RolledBack(RunId, LatestCheckpoint!, StepsDone, LearningRateScale, reason));
    }

    /// <summary>Changes the learning-rate scale; raises an event only when the scale really changes.</summary>
    public void AdjustLearningRate(double scale, string reason)
    {
        EnsureStatus(TrainingStatus.Running, nameof(AdjustLearningRate));
        if (!IsValidLearningRateScale(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"A learning-rate scale must be greater than 0 and at most {MaxLearningRateScale}.");
        }

        if (scale == LearningRateScale)
        {
            return;
        }

        double previous = LearningRateScale;
        LearningRateScale = scale;
        EvaluationsSinceLearningRateChange = 0;
        _events.Add(new LearningRateAdjusted(RunId, previous, scale, reason));
    }

    /// <summary>Forgets checkpoints that were pruned. The newest and the best can never be forgotten.</summary>
    public void ForgetCheckpoints(IReadOnlyCollection<CheckpointReference> pruned)
    {
        ArgumentNullException.ThrowIfNull(pruned);
        if (pruned.Contains(LatestCheckpoint!) || (BestCheckpoint is not null && pruned.Contains(BestCheckpoint)))
        {
            throw new InvalidOperationException("The newest and the best checkpoint are never pruned.");
        }

        _held.RemoveAll(held => pruned.Contains(held.Checkpoint));
    }

    public void Complete(StopReason reason) => Finish(TrainingStatus.Completed, reason);

    /// <summary>Ends the run early (at someone's request, or out of time); its latest checkpoint stays the final one.</summary>
    public void Stop(StopReason reason) => Finish(TrainingStatus.Stopped, reason);

    public void Fail(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (IsFinished)
        {
            throw new InvalidOperationException($"Run {RunId} has already finished as {Status}.");
        }

        Status = TrainingStatus.Failed;
        FailureReason = reason;
        _events.Add(new TrainingFailed(RunId, reason));
    }

    public TrainingSessionSnapshot ToSnapshot() => new(
        RunId, Status, Plan, StartedAtUtc, RoundsDone, StepsDone, SamplesSeen, TrainingSeconds, LatestCheckpoint,
        _rounds.ToArray(), _evaluations.ToArray(), BestEvaluation, BestCheckpoint, BestMetric, BestTrainingLoss,
        EvaluationsSinceImprovement, EvaluationsSinceLearningRateChange, LearningRateScale, RollbacksUsed, _held.ToArray(),
        StopReason, FailureReason);

    /// <summary>Rebuilds a session from a snapshot; the events raised before it are not carried over.</summary>
    public static TrainingSession Restore(TrainingSessionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var session = new TrainingSession(snapshot.RunId)
        {
            Status = snapshot.Status,
            Plan = snapshot.Plan,
            StartedAtUtc = snapshot.StartedAtUtc,
            RoundsDone = snapshot.RoundsDone,
            StepsDone = snapshot.StepsDone,
            SamplesSeen = snapshot.SamplesSeen,
            TrainingSeconds = snapshot.TrainingSeconds,
            LatestCheckpoint = snapshot.LatestCheckpoint,
            BestEvaluation = snapshot.BestEvaluation,
            BestCheckpoint = snapshot.BestCheckpoint,
            BestMetric = snapshot.BestMetric,
            BestTrainingLoss = snapshot.BestTrainingLoss,
            EvaluationsSinceImprovement = snapshot.EvaluationsSinceImprovement,
            EvaluationsSinceLearningRateChange = snapshot.EvaluationsSinceLearningRateChange,
            LearningRateScale = snapshot.LearningRateScale,
            RollbacksUsed = snapshot.RollbacksUsed,
            StopReason = snapshot.StopReason,
            FailureReason = snapshot.FailureReason,
        };
        session._rounds.AddRange(snapshot.RecentRounds.TakeLast(HistoryCapacity));
        session._evaluations.AddRange(snapshot.RecentEvaluations.TakeLast(HistoryCapacity));
        session._held.AddRange(snapshot.HeldCheckpoints);
        return session;
    }

    private void Finish(TrainingStatus status, StopReason reason)
    {
        EnsureStatus(TrainingStatus.Running, status == TrainingStatus.Completed ? nameof(Complete) : nameof(Stop));
        Status = status;
        StopReason = reason;
        _events.Add(status == TrainingStatus.Completed
            ? new TrainingCompleted(RunId, reason, StepsDone)
            : new TrainingStopped(RunId, reason, StepsDone));
    }

    private static void Append<T>(List<T> list, T item)
    {
        if (list.Count == HistoryCapacity)
        {
            list.RemoveAt(0);
        }

        list.Add(item);
    }

    private void EnsureStatus(TrainingStatus expected, string action)
    {
        if (Status != expected)
        {
            throw new InvalidOperationException($"Cannot {action} run {RunId}: it is {Status}, not {expected}.");
        }
    }
}
