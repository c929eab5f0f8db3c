using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable.Activities;

namespace DurableTrainer.Infrastructure.Storage.Tests;

/// <summary>The metrics journal's JSON Lines: the record shapes, and a reader that survives retries and bad lines.</summary>
public class TrainingJournalFormatTests
{
    private static readonly DateTime T0 = new(2026, 11, 29, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Write_OneCamelCaseLinePerRecord_AbsentFieldsLeftOut()
    {
        string text = TrainingJournalFormat.Write(
        [
            new TrainingJournalRecord(TrainingJournalKind.Step, 12, T0) { Round = 1, Replica = 0, Loss = 2.1, LearningRate = 0.001 },
            new TrainingJournalRecord(TrainingJournalKind.Stop, 2814, T0) { Round = 12, Reason = "PlanCompleted", Status = "Completed" },
        ]);

        string[] lines = text.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal(string.Empty, lines[2]);
        Assert.Equal("""{"kind":"step","step":12,"round":1,"replica":0,"loss":2.1,"learningRate":0.001,"time":"2026-11-29T00:00:00Z"}""", lines[0]);
        Assert.Equal("""{"kind":"stop","step":2814,"round":12,"reason":"PlanCompleted","status":"Completed","time":"2026-11-29T00:00:00Z"}""", lines[1]);
    }

    [Fact]
    public void Read_SkipsBlankAndBrokenLines_DropsDuplicates_SortsByStepThenTime()
    {
        string text = string.Join('\n',
            """{"kind":"chunk","step":20,"round":2,"replica":0,"loss":0.5,"time":"2026-11-29T00:00:09Z"}""",
            "",
            """{"kind":"step","step":10,"round":1,"replica":0,"loss":0.9,"time":"2026-11-29T00:00:05Z"}""",
            "not json at all",
            """{"kind":"step","step":10,"round":1,"replica":0,"loss":0.7,"time":"2026-11-29T00:00:06Z"}""",
            """{"kind":"evaluation","step":10,"round":1,"loss":0.6,"accuracy":0.8,"time":"2026-11-29T00:00:07Z"}""",
            """{"kind":"evaluation","step":10,"round":1,"loss":0.6,"accuracy":0.8,"time":"2026-11-29T00:00:07Z"}""",
            """{"step":11}""",
            """{"kind":"step","step":10,"round":1,"replica":1,"loss":0.8,"time":"2026-11-29T00:00:06Z"}""");

        var records = TrainingJournalFormat.Read(text);

        Assert.Equal(
            new[] { ("step", 10L, 0), ("step", 10L, 1), ("evaluation", 10L, -1), ("chunk", 20L, 0) },
            records.Select(record => (TrainingJournalKinds.NameOf(record.Kind), record.Step, record.Replica ?? -1)));
        Assert.Equal(0.7, records[0].Loss);
        Assert.All(records, record => Assert.Equal(DateTimeKind.Utc, record.Time.Kind));
    }

    [Fact]
    public void WriteThenRead_RoundTripsEveryKind()
    {
        TrainingJournalRecord[] records =
        [
            new(TrainingJournalKind.Step, 1, T0) { Round = 1, Replica = 0, Loss = 2.3, LearningRate = 0.001 },
            new(TrainingJournalKind.Chunk, 250, T0.AddSeconds(1)) { Round = 1, Replica = 0, Loss = 0.91, SamplesPerSecond = 1180.2, Seconds = 13.5 },
            new(TrainingJournalKind.Evaluation, 250, T0.AddSeconds(2)) { Round = 1, Loss = 0.52, Scores = new Dictionary<string, double> { ["accuracy"] = 0.81 } },
            new(TrainingJournalKind.LearningRate, 500, T0.AddSeconds(3)) { Round = 2, Scale = 0.5, Reason = "plateau" },
            new(TrainingJournalKind.Rollback, 500, T0.AddSeconds(4)) { Round = 2, Checkpoint = "round-000001/merged", Reason = "diverged" },
            new(TrainingJournalKind.Checkpoint, 500, T0.AddSeconds(5)) { Round = 2, Checkpoint = "round-000002/merged", Status = "kept" },
            new(TrainingJournalKind.Stop, 2814, T0.AddSeconds(6)) { Round = 12, Reason = "PlanCompleted", Status = "Completed" },
        ];

        Assert.Equal(records, TrainingJournalFormat.Read(TrainingJournalFormat.Write(records)));
    }

    [Fact]
    public void HttpSerializer_LeavesAbsentFieldsOutToo()
    {
        var record = new TrainingJournalRecord(TrainingJournalKind.Evaluation, 250, T0) { Round = 1, Loss = 0.52, Scores = new Dictionary<string, double> { ["accuracy"] = 0.81 } };

        string json = JsonSerializer.Serialize(record, MessageJson.Options);

        Assert.Equal("""{"kind":"evaluation","step":250,"round":1,"loss":0.52,"time":"2026-11-29T00:00:00Z","accuracy":0.81}""", json);
    }

    [Fact]
    public void StepRecords_SpreadTheChunksDurationOverItsStepsAndAreFiledUnderTheCommandsRound()
    {
        var command = new ChunkCommand(CheckpointReference.Initial(RunId.Parse("run-1")), CheckpointReference.ForReplica(RunId.Parse("run-1"), 7, 1), 1, 2, 0, 2, 1.0, null!) { Round = 7 };
        var result = new ChunkResult(command.Output, 2, 0.5, 0.4, 128, 4.0, [new StepMetric(2, 0.6, 0.01), new StepMetric(4, 0.4, 0.01)]);

        var records = RunChunkActivity.StepRecords(command, result, result.StepMetrics!, T0);

        Assert.Equal(new[] { (2L, 7L, 1, T0.AddSeconds(-2)), (4L, 7L, 1, T0) }, records.Select(record => (record.Step, record.Round!.Value, record.Replica!.Value, record.Time)));
    }

    [Fact]
    public void EveryKind_IsWrittenByItsName_AndALineWithoutAKnownKindIsSkipped()
    {
        TrainingJournalRecord[] records = [.. Enum.GetValues<TrainingJournalKind>().Select(kind => new TrainingJournalRecord(kind, 1, T0))];

        string text = TrainingJournalFormat.Write(records);

        Assert.Equal(
            ["step", "chunk", "evaluation", "test", "learningRate", "rollback", "checkpoint", "stop"],
            text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kind").GetString()));
        string withStrangers = text + """{"kind":3,"step":2,"time":"2026-11-29T00:00:00Z"}""" + "\n" + """{"kind":"sparkle","step":2,"time":"2026-11-29T00:00:00Z"}""" + "\n" + """{"step":2,"time":"2026-11-29T00:00:00Z"}""" + "\n";
        Assert.Equal(records.Length, TrainingJournalFormat.Read(withStrangers).Count);
    }
}
