using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable;

namespace DurableTrainer.Adapters.Tests;

/// <summary>Every message that crosses orchestration history must survive the serializer the hosts use, unchanged.</summary>
public class DurableMessageSerializationTests
{
    private static readonly TrainingRecipe Recipe = new(ModelArchitecture.Cnn, 128, OptimizerKind.AdamW, 3e-4, 0.9, 0.01, 32, 7, DatasetKind.Synthetic);

    public static TheoryData<object> Messages => new()
    {
        new TrainingRunInput("run-1", new TrainingRequest { RunId = "run-1", Epochs = 2, Model = "cnn", TargetMetric = 0.9 }),
        new InitializeCommand(CheckpointReference.Initial("run-1"), Recipe),
        new InitializationResult(CheckpointReference.Initial("run-1"), 60000, 10000, 421642),
        new ChunkCommand(CheckpointReference.Initial("run-1"), CheckpointReference.ForReplica("run-1", 1, 2), 2, 4, 100, 250, 0.5, Recipe),
        new ChunkResult(CheckpointReference.ForReplica("run-1", 1, 2), 250, 0.4, 0.35, 16000, 12.5),
        new ChunkResult(CheckpointReference.ForReplica("run-1", 1, 2), 2, 0.4, 0.35, 128, 0.1, [new StepMetric(402, 0.45, 0.001), new StepMetric(404, 0.35, 0.001)]),
        new Durable.Adapters.RecordMetricsCommand("run-1", [new TrainingJournalRecord(TrainingJournalRecord.EvaluationKind, 250, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)) { Round = 1, Loss = 0.5, Accuracy = 0.8 }]),
        new EvaluateCommand(CheckpointReference.Merged("run-1", 3), Recipe),
        new EvaluationResult(0.3, 0.9, 10000, 1.5),
        new Durable.Adapters.PruneCommand([CheckpointReference.Initial("run-1"), CheckpointReference.Merged("run-1", 4)]),
        new TrainingOutcome("run-1", "Completed", "PlanCompleted", null, 2814, 12, 180096, 130.2, "run-1/round-000012/replica-00", null, new EvaluationSummary(2814, 0.25, 0.91), null),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_RoundTripsThroughDurableJson(object message)
    {
        string json = JsonSerializer.Serialize(message, message.GetType(), DurableJson.Options);
        object? back = JsonSerializer.Deserialize(json, message.GetType(), DurableJson.Options);

        // Records holding lists compare by reference, so compare what a second trip through the serializer writes.
        Assert.Equal(json, JsonSerializer.Serialize(back, message.GetType(), DurableJson.Options));
        Assert.Equal(message.GetType(), back!.GetType());
    }

    [Fact]
    public void ResumeState_RoundTripsTheWholeSession()
    {
        var hyperparameters = Hyperparameters.Create(Hyperparameters.Defaults with { MaxSteps = 100, StepsPerChunk = 10 }).GetValueOrThrow();
        var session = new TrainingSession("run-1");
        session.Start(new Domain.Decisions.PureTrainingService().Plan(hyperparameters, 1000), CheckpointReference.Initial("run-1"), DateTime.UnixEpoch);
        session.RecordRound(new RoundMetrics(1, 10, 0.5, 0.4, 640, 1.5), CheckpointReference.ForReplica("run-1", 1, 0));
        session.RecordEvaluation(new EvaluationMetrics(10, 0.6, 0.8, 100), hyperparameters);
        var input = new TrainingRunInput("run-1", new TrainingRequest { MaxSteps = 100 }, new TrainingResumeState(session.ToSnapshot(), CheckpointReference.Merged("run-1", 1), 2));

        var back = JsonSerializer.Deserialize<TrainingRunInput>(JsonSerializer.Serialize(input, DurableJson.Options), DurableJson.Options)!;

        Assert.Equal(JsonSerializer.Serialize(input, DurableJson.Options), JsonSerializer.Serialize(back, DurableJson.Options));
        var restored = TrainingSession.Restore(back.Resume!.Session);
        Assert.Equal(session.StepsDone, restored.StepsDone);
        Assert.Equal(session.BestCheckpoint, restored.BestCheckpoint);
        Assert.Equal(session.HeldCheckpoints, restored.HeldCheckpoints);
    }

    [Fact]
    public void MergeCommand_RoundTripsWithItsReplicaList()
    {
        var command = new MergeCommand([CheckpointReference.ForReplica("r", 1, 0), CheckpointReference.ForReplica("r", 1, 1)], CheckpointReference.Merged("r", 1), Recipe,
            MergeStrategy.OuterNesterov, CheckpointReference.Initial("r"), 0.7, 0.9, null, new CheckpointReference("r", "round-000001/outer-momentum"));

        var back = JsonSerializer.Deserialize<MergeCommand>(JsonSerializer.Serialize(command, DurableJson.Options), DurableJson.Options)!;

        Assert.Equal(command.Replicas, back.Replicas);
        Assert.Equal(command.Output, back.Output);
        Assert.Equal(command.Recipe, back.Recipe);
        Assert.Equal(command with { Replicas = [] }, back with { Replicas = [] });
    }

    [Fact]
    public void ChunkCommand_StaysFarBelowTheQueueMessageLimit()
    {
        var command = new ChunkCommand(CheckpointReference.Initial(new string('r', 63)), CheckpointReference.ForReplica(new string('r', 63), 999999, 15), 15, 16, long.MaxValue, 100000, 1.0, Recipe);

        Assert.True(JsonSerializer.SerializeToUtf8Bytes(command, DurableJson.Options).Length < 2048);
    }

    [Fact]
    public void Enums_AreWrittenAsReadableNames()
    {
        string json = JsonSerializer.Serialize(Recipe, DurableJson.Options);

        Assert.Contains("\"model\":\"cnn\"", json, StringComparison.Ordinal);
        Assert.Contains("\"optimizer\":\"adamW\"", json, StringComparison.Ordinal);
    }
}
