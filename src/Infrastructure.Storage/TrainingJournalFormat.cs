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

    public static IReadOnlyList<TrainingJournalRecord> Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var written = new List<TrainingJournalRecord>();
        foreach (string line in text.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<TrainingJournalRecord>(line, Options) is { } record && Enum.IsDefined(record.Kind))
                {
                    written.Add(record with { Time = DateTime.SpecifyKind(record.Time.ToUniversalTime(), DateTimeKind.Utc) });
                }
            }
            catch (JsonException)
            {
                // Not a record: skip it rather than lose the rest of the journal.
            }
        }

        return TrainingJournalRecord.Latest(written);
    }
}
