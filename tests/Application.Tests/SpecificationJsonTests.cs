using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

/// <summary>How the specification reads and writes as JSON: camelCase fields and kebab-case enumeration names.</summary>
public class SpecificationJsonTests
{
    [Fact]
    public void Serialize_SpellsTheSpecificationsEnumerationsInKebabCase()
    {
        TrainingSpecification specification = TrainingSpecification.Create(
            optimizer: new OptimizerSection(OptimizerKind.AdamW),
            schedule: new ScheduleSection(LearningRateSchedule.CosineWithWarmup),
            replicas: new ReplicaSection(Count: 2, Merge: MergeStrategy.OuterNesterov)).GetValueOrThrow();

        string json = JsonSerializer.Serialize(TrainingRequest.From(RunId.Parse("run-1"), specification, ExecutionSettings.Default), SpecificationJson.Options);

        Assert.Contains("\"dataset\":\"fashion-mnist\"", json, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"adamw\"", json, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"cosine-with-warmup\"", json, StringComparison.Ordinal);
        Assert.Contains("\"merge\":\"outer-nesterov\"", json, StringComparison.Ordinal);
        Assert.Contains("\"stepsPerChunk\":250", json, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunInput_RoundTripsThroughJson()
    {
        var input = TestRuns.Input(
            new ExecutionSettings(StepsPerChunk: 10, ChunkSeconds: 30),
            new TrainingSection(MaxSteps: 100, BatchSize: 32),
            replicas: new ReplicaSection(Count: 2, Merge: MergeStrategy.OuterNesterov));

        var copy = JsonSerializer.Deserialize<TrainingRunInput>(JsonSerializer.Serialize(input, SpecificationJson.Options), SpecificationJson.Options)!;

        Assert.Equal(input, copy);
    }

    [Theory]
    [InlineData("""{"data":{"dataset":"fashion-mnist"},"optimizer":{"name":"adamw"}}""", DatasetKind.FashionMnist, OptimizerKind.AdamW)]
    [InlineData("""{"data":{"dataset":"synthetic"},"optimizer":{"name":"sgd"}}""", DatasetKind.Synthetic, OptimizerKind.Sgd)]
    public void Deserialize_ReadsTheKebabCaseNames(string json, DatasetKind dataset, OptimizerKind optimizer)
    {
        TrainingRequest request = JsonSerializer.Deserialize<TrainingRequest>(json, SpecificationJson.Options)!;

        Assert.Equal(dataset, request.Data!.Dataset);
        Assert.Equal(optimizer, request.Optimizer!.Name);
        Assert.Null(request.Training);
    }

    [Theory]
    [InlineData("""{"optimizer":{"name":"rmsprop"}}""")]
    [InlineData("""{"optimizer":{"name":2}}""")]
    public void Deserialize_AnUnknownNameOrANumberForAnEnumeration_IsRefused(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<TrainingRequest>(json, SpecificationJson.Options));
}
