using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// The journal's file format: JSON Lines, one camelCase record per line, absent fields left out. Reading skips
/// blank and unreadable lines (a line is either written whole by one append or not at all, but a reader should not
/// die on one bad line) and keeps the latest record of each identity.
/// </summary>
public static class TrainingJournalFormat
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Write(IEnumerable<TrainingJournalRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var text = new StringBuilder();
        foreach (TrainingJournalRecord record in records)
        {
            text.Append(JsonSerializer.Serialize(record, Options)).Append('\n');
        }

        return text.ToString();
    }

    public static IReadOnlyList<TrainingJournalRecord> Read(string text) =>
        TrainingJournalRecord.Latest(Lines(text).Select(line => line.Record));

    /// <summary>Every record in the order written, duplicates kept, each with its line as written (without the newline).</summary>
    public static IEnumerable<(string Line, TrainingJournalRecord Record)> Lines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (string line in text.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            TrainingJournalRecord? record = null;
            try
            {
                record = JsonSerializer.Deserialize<TrainingJournalRecord>(line, Options);
            }
            catch (JsonException)
            {
                // Not a record: skip it rather than lose the rest of the journal.
            }

            if (record is not null && Enum.IsDefined(record.Kind))
            {
                yield return (line, record with { Time = DateTime.SpecifyKind(record.Time.ToUniversalTime(), DateTimeKind.Utc) });
            }
        }
    }
}
