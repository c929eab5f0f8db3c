using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Durable.Tests;

/// <summary>Every message that crosses orchestration history must survive the serializer the hosts use, unchanged.</summary>
public class DurableMessageSerializationTests
{
    private static readonly TrainingSpecification Specification = TrainingSpecification.Create(
        data: new DataSection(DatasetKind.Synthetic),
        model: new ModelSection("cnn", new Dictionary<string, double> { ["convChannels"] = 16, ["batchNorm"] = 1, ["dropout"] = 0.25 }),
        optimizer: new OptimizerSection(OptimizerKind.AdamW, 3e-4, WeightDecay: 0.01),
        schedule: new ScheduleSection(LearningRateSchedule.CosineWithWarmup, WarmupSteps: 50, MinFactor: 0.1),
        training: new TrainingSection(Epochs: 2, BatchSize: 32, GradientClipNorm: 1.5, Seed: 7),
        evaluation: new EvaluationSection(250, MonitorMetric.Loss),
        stopping: new StoppingSection(EarlyStoppingPatience: 3, TargetMetric: 0.2, TimeBudgetSeconds: 600),
        checkpoints: new CheckpointSection(500, 2),
        replicas: new ReplicaSection(2, MergeStrategy.OuterNesterov)).GetValueOrThrow();

    /// <summary>A declarative model with a residual block nested in a residual block, and a shortcut.</summary>
    private static readonly TrainingSpecification DeclarativeSpecification = TrainingSpecification.Create(
        model: new ModelSection(Layers:
        [
            new LayerSpec("conv2d", "stem", Channels: 8, Kernel: 3, Padding: 1),
            new LayerSpec("residual", Layers:
            [
                new LayerSpec("conv2d", Channels: 8, Kernel: 3, Padding: 1),
                new LayerSpec("residual", Layers: [new LayerSpec("relu")]),
            ], Shortcut: [new LayerSpec("conv2d", Channels: 8, Kernel: 1)]),
            new LayerSpec("flatten"),
            new LayerSpec("dropout", P: 0.5),
            new LayerSpec("linear", Units: 10),
        ]),
        training: new TrainingSection(MaxSteps: 100)).GetValueOrThrow();

    private static readonly TrainingRecipe Recipe = TrainingRecipe.From(Specification);

    public static TheoryData<object> Messages => new()
    {
        new TrainingRunInput(RunId.Parse("run-1"), Specification, new ExecutionSettings(StepsPerChunk: 100, RoundsPerExecution: 20, ActivityMaxAttempts: 4, ActivityFirstRetrySeconds: 2.5)),
        new TrainingRunInput(RunId.Parse("run-2"), DeclarativeSpecification, ExecutionSettings.Default),
        new TrainingRunInput(RunId.Parse("run-3"), TrainingSpecification.Default, ExecutionSettings.Default),
        new InitializeCommand(CheckpointReference.Initial(RunId.Parse("run-2")), TrainingRecipe.From(DeclarativeSpecification)),
        new InitializeCommand(CheckpointReference.Initial(RunId.Parse("run-1")), Recipe),
        new InitializationResult(CheckpointReference.Initial(RunId.Parse("run-1")), 60000, 10000, 421642),
        new ChunkCommand(CheckpointReference.Initial(RunId.Parse("run-1")), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 2), 2, 4, 100, 250, 0.5, Recipe),
        new ChunkResult(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 2), 250, 0.4, 0.35, 16000, 12.5),
        new ChunkResult(CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 2), 2, 0.4, 0.35, 128, 0.1, [new StepMetric(402, 0.45, 0.001), new StepMetric(404, 0.35, 0.001)]),
        new Durable.Adapters.RecordMetricsCommand(RunId.Parse("run-1"), [new TrainingJournalRecord(TrainingJournalKind.Evaluation, 250, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)) { Round = 1, Loss = 0.5, Scores = new Dictionary<string, double> { ["accuracy"] = 0.8 } }]),
        new EvaluateCommand(CheckpointReference.Merged(RunId.Parse("run-1"), 3), Recipe),
        new EvaluationResult(EvaluationMetrics.Classification(0, 0.3, 0.9, 10000), 1.5),
        new Durable.Adapters.PruneCommand([CheckpointReference.Initial(RunId.Parse("run-1")), CheckpointReference.Merged(RunId.Parse("run-1"), 4)]),
        new TrainingOutcome
        {
            RunId = RunId.Parse("run-1"),
            Status = TrainingOutcomeStatus.Completed,
            StopReason = "PlanCompleted",
            StepsDone = 2814,
            Rounds = 12,
            SamplesSeen = 180096,
            TrainingSeconds = 130.2,
            FinalCheckpoint = "run-1/round-000012/replica-00",
            FinalEvaluation = new EvaluationSummary(2814, 0.25, new Dictionary<string, double> { ["accuracy"] = 0.91 }),
        },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_RoundTripsThroughDurableJson(object message)
    {
        string json = JsonSerializer.Serialize(message, message.GetType(), MessageJson.Options);
        object? back = JsonSerializer.Deserialize(json, message.GetType(), MessageJson.Options);

        // Records holding lists compare by reference, so compare what a second trip through the serializer writes.
        Assert.Equal(json, JsonSerializer.Serialize(back, message.GetType(), MessageJson.Options));
        Assert.Equal(message.GetType(), back!.GetType());
    }

    [Theory]
    [InlineData(TrainingPhase.AtRung, TrainingOutcomeStatus.ContinuedAsNew)]
    [InlineData(TrainingPhase.Completed, TrainingOutcomeStatus.Completed)]
    public void PhaseAndStatus_TravelByTheirNamesWhicheverOptionsTheHostUses(TrainingPhase phase, TrainingOutcomeStatus status)
    {
        var progress = new TrainingProgress { RunId = RunId.Parse("run-1"), Phase = phase };
        var outcome = new TrainingOutcome { RunId = RunId.Parse("run-1"), Status = status };

        foreach (JsonSerializerOptions options in new[] { MessageJson.Options, JsonSerializerOptions.Web })
        {
            Assert.Contains($"\"phase\":\"{phase}\"", JsonSerializer.Serialize(progress, options), StringComparison.Ordinal);
            Assert.Contains($"\"status\":\"{status}\"", JsonSerializer.Serialize(outcome, options), StringComparison.Ordinal);
            Assert.Equal(phase, JsonSerializer.Deserialize<TrainingProgress>($"{{\"runId\":\"r\",\"phase\":\"{phase}\"}}", options)!.Phase);
        }
    }

    [Fact]
    public void ResumeState_RoundTripsTheWholeSession()
    {
        var specification = (TrainingSpecification.Default with { Training = TrainingSpecification.Default.Training with { MaxSteps = 100 } }).Validated().GetValueOrThrow();
        var execution = new ExecutionSettings(StepsPerChunk: 10, ChunkSeconds: 45);
        var session = new TrainingSession(RunId.Parse("run-1"));
        session.Start(new Domain.Decisions.PureTrainingService().Plan(specification, 1000, execution.StepsPerChunk, execution.ChunkSeconds), CheckpointReference.Initial(RunId.Parse("run-1")), DateTime.UnixEpoch);
        session.RecordRound(new RoundMetrics(1, 10, 0.5, 0.4, 640, 1.5), CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0));
        session.RecordEvaluation(EvaluationMetrics.Classification(10, 0.6, 0.8, 100), specification);
        var input = new TrainingRunInput(RunId.Parse("run-1"), specification, execution, new TrainingResumeState(session.ToSnapshot(), CheckpointReference.Merged(RunId.Parse("run-1"), 1), 2));

        var back = JsonSerializer.Deserialize<TrainingRunInput>(JsonSerializer.Serialize(input, MessageJson.Options), MessageJson.Options)!;

        Assert.Equal(JsonSerializer.Serialize(input, MessageJson.Options), JsonSerializer.Serialize(back, MessageJson.Options));
        var restored = TrainingSession.Restore(back.Resume!.Session);
        Assert.Equal(session.StepsDone, restored.StepsDone);
        Assert.Equal(session.Plan, restored.Plan);
        Assert.Equal(45, restored.Plan!.TargetChunkSeconds);
        Assert.Equal(session.BestCheckpoint, restored.BestCheckpoint);
        Assert.Equal(session.HeldCheckpoints, restored.HeldCheckpoints);
    }

    [Fact]
    public void ChunkMessages_KeepTheForeseenEvaluationsAndWhatTheChunkMeasured()
    {
        var command = new ChunkCommand(CheckpointReference.Initial(RunId.Parse("r")), CheckpointReference.ForReplica(RunId.Parse("r"), 1, 0), 0, 1, 0, 10, 1.0, Recipe)
        {
            Evaluate = new Domain.Decisions.ForeseenEvaluations(Validation: true, Test: true),
        };
        var result = new ChunkResult(command.Output, 10, 0.4, 0.3, 640, 1.0)
        {
            Validation = new EvaluationResult(EvaluationMetrics.Classification(0, 0.5, 0.8, 600), 0.2),
            Test = new EvaluationResult(EvaluationMetrics.Classification(0, 0.6, 0.7, 1000), 0.3),
        };

        var commandBack = JsonSerializer.Deserialize<ChunkCommand>(JsonSerializer.Serialize(command, MessageJson.Options), MessageJson.Options)!;
        var resultBack = JsonSerializer.Deserialize<ChunkResult>(JsonSerializer.Serialize(result, MessageJson.Options), MessageJson.Options)!;

        Assert.Equal(command.Evaluate, commandBack.Evaluate);
        Assert.Equal((600, 0.5), (resultBack.Validation!.Examples, resultBack.Validation.Loss));
        Assert.Equal((1000, 0.7), (resultBack.Test!.Examples, resultBack.Test.Accuracy));
    }

    [Fact]
    public void MergeCommand_RoundTripsWithItsReplicaList()
    {
        var command = new MergeCommand([CheckpointReference.ForReplica(RunId.Parse("r"), 1, 0), CheckpointReference.ForReplica(RunId.Parse("r"), 1, 1)], CheckpointReference.Merged(RunId.Parse("r"), 1), Recipe,
            new ReplicaSection(2, MergeStrategy.OuterNesterov, 0.7, 0.9), CheckpointReference.Initial(RunId.Parse("r")), null, new CheckpointReference(RunId.Parse("r"), "round-000001/outer-momentum"));

        var back = JsonSerializer.Deserialize<MergeCommand>(JsonSerializer.Serialize(command, MessageJson.Options), MessageJson.Options)!;

        Assert.Equal(command.Replicas, back.Replicas);
        Assert.Equal(command.Output, back.Output);
        Assert.Equal(JsonSerializer.Serialize(command.Recipe, MessageJson.Options), JsonSerializer.Serialize(back.Recipe, MessageJson.Options));
        Assert.Equal(command.Merge, back.Merge);
        Assert.Equal(command with { Replicas = [], Recipe = back.Recipe }, back with { Replicas = [] });
    }

    [Fact]
    public void ChunkCommand_StaysFarBelowTheQueueMessageLimit()
    {
        var command = new ChunkCommand(CheckpointReference.Initial(RunId.Parse(new string('r', 63))), CheckpointReference.ForReplica(RunId.Parse(new string('r', 63)), 999999, 15), 15, 16, long.MaxValue, 100000, 1.0, Recipe);

        Assert.True(JsonSerializer.SerializeToUtf8Bytes(command, MessageJson.Options).Length < 2048);
    }

    [Fact]
    public void Enums_AreWrittenAsReadableNames()
    {
        string json = JsonSerializer.Serialize(Recipe, MessageJson.Options);

        Assert.Contains("\"dataset\":\"synthetic\"", json, StringComparison.Ordinal);
        Assert.Contains("\"architecture\":\"cnn\"", json, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"adamw\"", json, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"cosine-with-warmup\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecificationEnums_AreKebabCaseInTheOrchestrationInput()
    {
        var specification = TrainingSpecification.Create(data: new DataSection(DatasetKind.FashionMnist), optimizer: new OptimizerSection(OptimizerKind.AdamW)).GetValueOrThrow();
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new TrainingRunInput(RunId.Parse("run-1"), specification, ExecutionSettings.Default), MessageJson.Options));
        JsonElement written = document.RootElement.GetProperty("specification");

        Assert.Equal("fashion-mnist", written.GetProperty("data").GetProperty("dataset").GetString());
        Assert.Equal("adamw", written.GetProperty("optimizer").GetProperty("name").GetString());
        Assert.Equal("constant", written.GetProperty("schedule").GetProperty("name").GetString());
        Assert.Equal("average", written.GetProperty("replicas").GetProperty("merge").GetString());
        Assert.Equal("accuracy", written.GetProperty("evaluation").GetProperty("metric").GetString());
        Assert.Equal("max", written.GetProperty("evaluation").GetProperty("mode").GetString());
        Assert.Equal(250, document.RootElement.GetProperty("execution").GetProperty("stepsPerChunk").GetInt32());
    }

    [Fact]
    public void MergeStrategy_IsKebabCaseInTheMergeCommand()
    {
        var command = new MergeCommand([CheckpointReference.ForReplica(RunId.Parse("r"), 1, 0)], CheckpointReference.Merged(RunId.Parse("r"), 1), Recipe, new ReplicaSection(2, MergeStrategy.OuterNesterov));

        Assert.Contains("\"merge\":\"outer-nesterov\"", JsonSerializer.Serialize(command, MessageJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingRunInput_KeepsModelParametersAndDeclarativeLayers()
    {
        TrainingRunInput back = JsonSerializer.Deserialize<TrainingRunInput>(
            JsonSerializer.Serialize(new TrainingRunInput(RunId.Parse("run-1"), Specification, ExecutionSettings.Default), MessageJson.Options), MessageJson.Options)!;
        TrainingRunInput declarative = JsonSerializer.Deserialize<TrainingRunInput>(
            JsonSerializer.Serialize(new TrainingRunInput(RunId.Parse("run-2"), DeclarativeSpecification, new ExecutionSettings(StepsPerChunk: 20)), MessageJson.Options), MessageJson.Options)!;

        Assert.Equal("cnn", back.Specification.Model.Architecture);
        Assert.Equal(Specification.Model.Parameters!.OrderBy(pair => pair.Key), back.Specification.Model.Parameters!.OrderBy(pair => pair.Key));
        Assert.Equal(Specification.Optimizer, back.Specification.Optimizer);
        Assert.Equal(Specification.Stopping, back.Specification.Stopping);
        Assert.Equal(Specification.Replicas, back.Specification.Replicas);
        Assert.Equal(ExecutionSettings.Default, back.Execution);
        Assert.Null(declarative.Specification.Model.Architecture);
        IReadOnlyList<LayerSpec> layers = declarative.Specification.Model.Layers!;
        Assert.Equal(new[] { "conv2d", "residual", "flatten", "dropout", "linear" }, layers.Select(layer => layer.Type).ToArray());
        Assert.Equal("stem", layers[0].Name);
        Assert.Equal("relu", Assert.Single(layers[1].Layers![1].Layers!).Type);
        Assert.Equal(1, Assert.Single(layers[1].Shortcut!).Kernel);
        Assert.Equal(0.5, layers[3].P);
        Assert.Equal(new ExecutionSettings(StepsPerChunk: 20), declarative.Execution);
    }
}
