using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// The orchestration's input: the run id, the validated specification and the engine settings (typed, with every
/// default filled in); after a continue-as-new, also the compact state the run carries on from.
/// </summary>
/// <remarks><see cref="Trial"/> is set when the run is a trial of a sweep: it pauses at the sweep's rungs for a verdict.</remarks>
public sealed record TrainingRunInput(RunId RunId, TrainingSpecification Specification, ExecutionSettings Execution, TrainingResumeState? Resume = null, TrialLink? Trial = null);

/// <summary>What one orchestration execution hands the next: the session and the outer optimizer's momentum buffer.</summary>
/// <remarks><see cref="RungsReported"/> counts the sweep rungs a trial has already reported at.</remarks>
public sealed record TrainingResumeState(TrainingSessionSnapshot Session, CheckpointReference? OuterMomentum, int Execution, int RungsReported = 0)
{
    /// <summary>The run's journal cursor, carried to the next execution (<c>RunState.JournalMark</c>).</summary>
    public long JournalMark { get; init; }
}

/// <summary>
/// An evaluation as monitors and outcomes show it: the step, the loss, and the task's scores by metric name. In JSON
/// the scores sit beside the step and the loss (<c>{"step":1000,"loss":0.31,"accuracy":0.89}</c>), as users read them.
/// </summary>
public sealed record EvaluationSummary
{
    public EvaluationSummary()
    {
    }

    public EvaluationSummary(long step, double loss, IReadOnlyDictionary<string, double> scores)
    {
        Step = step;
        Loss = loss;
        Scores = scores;
    }

    public long Step { get; init; }

    public double Loss { get; init; }

    [JsonIgnore]
    public IReadOnlyDictionary<string, double> Scores
    {
        get => ScoreFields.Read(ScoreValues) ?? ScoreFields.None;
        init => ScoreValues = ScoreFields.Write(value);
    }

    /// <summary>The scores as JSON holds them: fields of their own, beside the step and the loss.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ScoreValues { get; init; }

    public static EvaluationSummary? Of(EvaluationMetrics? metrics) =>
        metrics is null ? null : new EvaluationSummary(metrics.StepsDone, metrics.Loss, metrics.Scores);

    /// <summary>The named score, or null when this evaluation has none of that name.</summary>
    public double? Score(string metric) => Scores.TryGetValue(metric, out double value) ? value : null;

    /// <summary>The score a reader looks at first: accuracy for classifiers, RMSE for regression, else the first there is.</summary>
    public (string Name, double Value)? Headline()
    {
        foreach (string name in ScoreFields.HeadlineOrder)
        {
            if (Scores.TryGetValue(name, out double value))
            {
                return (name, value);
            }
        }

        return Scores.Count > 0 ? (Scores.First().Key, Scores.First().Value) : null;
    }

    public bool Equals(EvaluationSummary? other) =>
        other is not null && Step == other.Step && Loss.Equals(other.Loss) && ScoreFields.SameScores(Scores, other.Scores);

    public override int GetHashCode() => HashCode.Combine(Step, Loss, Scores.Count);
}

/// <summary>How scores by metric name become JSON fields beside the others, and back (numbers only; anything else is not a score).</summary>
public static class ScoreFields
{
    public static readonly IReadOnlyDictionary<string, double> None = new Dictionary<string, double>();

    /// <summary>The order in which an evaluation's scores are looked for its headline.</summary>
    public static IReadOnlyList<string> HeadlineOrder => MonitorMetrics.ScoreNames;

    public static Dictionary<string, JsonElement>? Write(IReadOnlyDictionary<string, double>? scores) =>
        scores is null || scores.Count == 0
            ? null
            : scores.Where(score => double.IsFinite(score.Value)).ToDictionary(score => score.Key, score => JsonSerializer.SerializeToElement(score.Value));

    public static IReadOnlyDictionary<string, double>? Read(Dictionary<string, JsonElement>? fields) =>
        fields?.Where(field => field.Value.ValueKind == JsonValueKind.Number).ToDictionary(field => field.Key, field => field.Value.GetDouble());

    public static bool SameScores(IReadOnlyDictionary<string, double>? left, IReadOnlyDictionary<string, double>? right) =>
        (left?.Count ?? 0) == (right?.Count ?? 0)
        && (left is null || left.All(score => right!.TryGetValue(score.Key, out double value) && value.Equals(score.Value)));
}

/// <summary>
/// Where a run is, as its progress reports say. Serialized by name (<c>"Training"</c>, <c>"AtRung"</c>), as clients,
/// the dashboard and scripts read it.
/// </summary>
public enum TrainingPhase
{
    Initializing,
    Training,
    RolledBack,
    AtRung,
    Testing,
    Completed,
    Stopped,
    Failed,
}

/// <summary>How one execution of a run ended: the run's own end, or a hand-over to the next execution.</summary>
public enum TrainingOutcomeStatus
{
    Completed,
    Stopped,
    Failed,

    /// <summary>The execution handed over to a fresh one (continue-as-new) instead of ending.</summary>
    ContinuedAsNew,
}

/// <summary>Progress as a monitor shows it. Bounded in size: it becomes the orchestration's custom status.</summary>
public sealed record TrainingProgress
{
    public required RunId RunId { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<TrainingPhase>))]
    public required TrainingPhase Phase { get; init; }

    public long Round { get; init; }

    public long TotalRounds { get; init; }

    public long Step { get; init; }

    public long TotalSteps { get; init; }

    public double Epoch { get; init; }

    public double? LastLoss { get; init; }

    public double? SamplesPerSecond { get; init; }

    public EvaluationSummary? LastEvaluation { get; init; }

    public EvaluationSummary? BestEvaluation { get; init; }

    public double? SecondsRemaining { get; init; }

    public IReadOnlyList<string> Suggestions { get; init; } = [];

    public double LearningRateScale { get; init; } = 1.0;

    public int RollbacksUsed { get; init; }

    public int Execution { get; init; } = 1;
}

/// <summary>
/// The orchestration's output: how the run ended and where its model is. <see cref="FinalEvaluation"/> and
/// <see cref="BestEvaluation"/> are on the validation split (what decisions were made on); <see cref="TestEvaluation"/>
/// measures the final checkpoint on the test split and <see cref="BestTestEvaluation"/> the best one, when it is
/// another. <see cref="TestFailure"/> says why there is no test figure when testing failed.
/// </summary>
public sealed record TrainingOutcome
{
    public required RunId RunId { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<TrainingOutcomeStatus>))]
    public required TrainingOutcomeStatus Status { get; init; }

    public string? StopReason { get; init; }

    public string? FailureReason { get; init; }

    public long StepsDone { get; init; }

    public long Rounds { get; init; }

    public long SamplesSeen { get; init; }

    public double TrainingSeconds { get; init; }

    public string? FinalCheckpoint { get; init; }

    public string? BestCheckpoint { get; init; }

    public EvaluationSummary? FinalEvaluation { get; init; }

    public EvaluationSummary? BestEvaluation { get; init; }

    public int RollbacksUsed { get; init; }

    public double LearningRateScale { get; init; } = 1.0;

    public int Executions { get; init; } = 1;

    public EvaluationSummary? TestEvaluation { get; init; }

    public EvaluationSummary? BestTestEvaluation { get; init; }

    public string? TestFailure { get; init; }

    public string? MonitoredMetric { get; init; }

    public string? StopDetail { get; init; }
}
