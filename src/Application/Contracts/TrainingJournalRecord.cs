using System.Text.Json.Serialization;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// One line of a run's metrics journal: a training step, a chunk, an evaluation, or a decision the loop took. Every
/// kind has <see cref="Kind"/>, <see cref="Step"/> (the global optimizer step over all replicas, the axis progress
/// uses) and <see cref="Time"/> (UTC); the other fields belong to some kinds only and are left out when absent.
/// </summary>
public sealed record TrainingJournalRecord([property: JsonConverter(typeof(TrainingJournalKinds.ByName))] TrainingJournalKind Kind, long Step, [property: JsonPropertyOrder(1)] DateTime Time)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Round { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Replica { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Loss { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? LearningRate { get; init; }

    /// <summary>An evaluation's scores by metric name (<c>accuracy</c>, <c>auc</c>, <c>rmse</c>, <c>mae</c>, <c>r2</c>); fields of their own in JSON.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, double>? Scores
    {
        get => ScoreFields.Read(ScoreValues) is { Count: > 0 } scores ? scores : null;
        init => ScoreValues = ScoreFields.Write(value);
    }

    /// <summary>The scores as JSON holds them: fields of their own, beside the record's other fields.</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? ScoreValues { get; init; }

    public bool Equals(TrainingJournalRecord? other) =>
        other is not null
        && (Kind, Step, Time, Round, Replica, Loss, LearningRate, SamplesPerSecond, Seconds, Scale, Checkpoint, Reason, Status)
            == (other.Kind, other.Step, other.Time, other.Round, other.Replica, other.Loss, other.LearningRate, other.SamplesPerSecond, other.Seconds, other.Scale, other.Checkpoint, other.Reason, other.Status)
        && ScoreFields.SameScores(Scores, other.Scores);

    public override int GetHashCode() => HashCode.Combine(Kind, Step, Time, Round, Replica, Loss, Checkpoint, Reason);

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SamplesPerSecond { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Seconds { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Scale { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Checkpoint { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Status { get; init; }

    /// <summary>
    /// What makes two records "the same" fact: a retried activity writes it again (the later copy wins), and a
    /// round trained again after a rollback rewrites its steps. Decisions at one step with different reasons are
    /// different facts and both stay.
    /// </summary>
    [JsonIgnore]
    public (TrainingJournalKind Kind, long Step, long? Round, int? Replica, string? Checkpoint, string? Reason) Identity =>
        (Kind, Step, Round, Replica, Checkpoint, Reason);

    /// <summary>Non-finite numbers (a diverged loss) have no JSON form; they are left out, and the rollback record says why.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>The finite scores only, for the same reason.</summary>
    public static IReadOnlyDictionary<string, double> FiniteScores(IReadOnlyDictionary<string, double> scores) =>
        scores.Where(score => double.IsFinite(score.Value)).ToDictionary(score => score.Key, score => score.Value);

    /// <summary>
    /// The records as a reader should see them: one per identity (the last written wins, since retries and
    /// retraining come later), sorted by step, then time, then the order they were written in.
    /// </summary>
    public static IReadOnlyList<TrainingJournalRecord> Latest(IEnumerable<TrainingJournalRecord> written)
    {
        ArgumentNullException.ThrowIfNull(written);
        var latest = new Dictionary<(TrainingJournalKind, long, long?, int?, string?, string?), (int Order, TrainingJournalRecord Record)>();
        int order = 0;
        foreach (TrainingJournalRecord record in written)
        {
            latest[record.Identity] = (order++, record);
        }

        return latest.Values
            .OrderBy(entry => entry.Record.Step)
            .ThenBy(entry => entry.Record.Time)
            .ThenBy(entry => entry.Order)
            .Select(entry => entry.Record)
            .ToArray();
    }
}

/// <summary>The loss and learning rate of one optimizer step, as a chunk reports it (global step over all replicas).</summary>
public sealed record StepMetric(long Step, double Loss, double LearningRate);
