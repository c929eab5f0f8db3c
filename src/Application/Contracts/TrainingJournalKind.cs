using System.Text.Json.Serialization;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// What a journal line records. Written by the names readers know (<c>"step"</c>, <c>"learningRate"</c>), whatever the
/// serializer's options; the values start at 1, so a line without a kind reads as none and is skipped.
/// </summary>
public enum TrainingJournalKind
{
    [JsonStringEnumMemberName("step")]
    Step = 1,

    [JsonStringEnumMemberName("chunk")]
    Chunk,

    /// <summary>An evaluation on the validation split, while training.</summary>
    [JsonStringEnumMemberName("evaluation")]
    Evaluation,

    /// <summary>A checkpoint of the finished run measured on the test split (the record's status says final or best).</summary>
    [JsonStringEnumMemberName("test")]
    Test,

    [JsonStringEnumMemberName("learningRate")]
    LearningRate,

    [JsonStringEnumMemberName("rollback")]
    Rollback,

    [JsonStringEnumMemberName("checkpoint")]
    Checkpoint,

    [JsonStringEnumMemberName("stop")]
    Stop,
}

/// <summary>The journal kinds by the names they are written under.</summary>
public static class TrainingJournalKinds
{
    private static readonly Dictionary<TrainingJournalKind, string> Names = Enum.GetValues<TrainingJournalKind>().ToDictionary(
        kind => kind,
        kind => typeof(TrainingJournalKind).GetField(kind.ToString())!.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
            .Cast<JsonStringEnumMemberNameAttribute>().Single().Name);

    /// <summary>Every kind's name, in order: what a reader may filter on.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Names.Values];

    public static string NameOf(TrainingJournalKind kind) => Names[kind];

    /// <summary>The kind written as <paramref name="name"/> (exactly, case and all).</summary>
    public static bool TryParse(string name, out TrainingJournalKind kind)
    {
        foreach ((TrainingJournalKind candidate, string written) in Names)
        {
            if (string.Equals(written, name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>Reads and writes a kind by its name only: a number is not a kind.</summary>
    public sealed class ByName() : JsonStringEnumConverter<TrainingJournalKind>(namingPolicy: null, allowIntegerValues: false);
}
