using DurableTrainer.Domain.Events;

namespace DurableTrainer.Domain.Training;

/// <summary>
/// One training run as the domain sees it: its status, how far it has come, what it measured and where its latest
/// and best checkpoints are. Transitions are guarded by status; events are raised only on real changes.
/// </summary>
public sealed class TrainingSession
{
    /// <summary>How many round metrics are kept; older ones are dropped so the session stays small over long runs.</summary>
    public const int HistoryCapacity = 64;

    public const double MaxLearningRateScale = 100;

    private readonly List<TrainingEvent> _events = [];
    private readonly List<RoundMetrics> _rounds = [];
    private readonly List<EvaluationMetrics> _evaluations = [];

    public TrainingSession(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        RunId = runId;
    }

    public string RunId { get; }
    public TrainingStatus Status { get; private set; } = TrainingStatus.Pending;
    public TrainingPlan? Plan { get; private set; }
    public long RoundsDone { get; private set; }
    public long StepsDone { get; private set; }
    public long SamplesSeen { get; private set; }
    public double TrainingSeconds { get; private set; }
    public CheckpointReference? LatestCheckpoint { get; private set; }
    public EvaluationMetrics? LatestEvaluation => _evaluations.Count > 0 ? _evaluations[^1] : null;
    public EvaluationMetrics? BestEvaluation { get; private set; }
    public CheckpointReference? BestCheckpoint { get; private set; }
    public long StepsAtLastEvaluation => LatestEvaluation?.StepsDone ?? 0;
    public StopReason? StopReason { get; private set; }

    /// <summary>Multiplies the configured learning rate from the next round on.</summary>
    public double LearningRateScale { get; private set; } = 1.0;
    public string? FailureReason { get; private set; }
    public IReadOnlyList<RoundMetrics> RecentRounds => _rounds;
    public IReadOnlyList<EvaluationMetrics> RecentEvaluations => _evaluations;
    public IReadOnlyList<TrainingEvent> Events => _events;

    public double Epoch => Plan is null || Plan.StepsPerEpoch == 0 ? 0 : (double)StepsDone / Plan.StepsPerEpoch;

    public bool IsFinished => Status is TrainingStatus.Completed or TrainingStatus.Stopped or TrainingStatus.Failed;

    public void Start(TrainingPlan plan, CheckpointReference initialCheckpoint)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(initialCheckpoint);
        EnsureStatus(TrainingStatus.Pending, nameof(Start));
        Plan = plan;
        LatestCheckpoint = initialCheckpoint;
        Status = TrainingStatus.Running;
        _events.Add(new TrainingStarted(RunId, plan));
    }

    public void RecordRound(RoundMetrics metrics, CheckpointReference checkpoint)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(checkpoint);
        EnsureStatus(TrainingStatus.Running, nameof(RecordRound));
        if (metrics.StepsDone <= StepsDone)
        {
            throw new InvalidOperationException($"A round must move training forward: {metrics.StepsDone} <= {StepsDone}.");
        }

        RoundsDone = metrics.Round;
        SamplesSeen += metrics.Samples;
        TrainingSeconds += metrics.Seconds;
        StepsDone = metrics.StepsDone;
        LatestCheckpoint = checkpoint;
        Append(_rounds, metrics);
        _events.Add(new ChunkCompleted(RunId, metrics, checkpoint));
    }

    public void RecordEvaluation(EvaluationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        EnsureStatus(TrainingStatus.Running, nameof(RecordEvaluation));
        bool isBest = BestEvaluation is null || metrics.Accuracy > BestEvaluation.Accuracy;
        if (isBest)
        {
            BestEvaluation = metrics;
            BestCheckpoint = LatestCheckpoint;
        }

        Append(_evaluations, metrics);
        _events.Add(new EvaluationCompleted(RunId, metrics, isBest));
    }

    public void Complete(StopReason reason)
    {
        EnsureStatus(TrainingStatus.Running, nameof(Complete));
        Status = TrainingStatus.Completed;
        StopReason = reason;
        _events.Add(new TrainingCompleted(RunId, reason, StepsDone));
    }

    /// <summary>Ends the run early at someone's request; its latest checkpoint stays the final one.</summary>
    public void Stop(StopReason reason)
    {
        EnsureStatus(TrainingStatus.Running, nameof(Stop));
        Status = TrainingStatus.Stopped;
        StopReason = reason;
        _events.Add(new TrainingStopped(RunId, reason, StepsDone));
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
        _events.Add(new LearningRateAdjusted(RunId, previous, scale, reason));
    }

    public static bool IsValidLearningRateScale(double scale) => double.IsFinite(scale) && scale > 0 && scale <= MaxLearningRateScale;

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
