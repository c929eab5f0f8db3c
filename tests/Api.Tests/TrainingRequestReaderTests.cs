using System.Text;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api.Tests;

public class TrainingRequestReaderTests
{
    private static (TrainingRequest? Request, IReadOnlyList<ValidationError> Errors) Read(string json) =>
        TrainingRequestReader.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Read_WellFormedSectionedRequest_BindsEveryField()
    {
        var (request, errors) = Read("""
            {"runId":"abc","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},
             "optimizer":{"name":"adamw","learningRate":0.01},"training":{"batchSize":32,"maxSteps":500},
             "stopping":{"targetMetric":0.9},"execution":{"stepsPerChunk":50,"chunkSeconds":30},"replicas":{"count":2,"merge":"outer-nesterov"}}
            """);

        Assert.Empty(errors);
        Assert.Equal("abc", request!.RunId);
        Assert.Equal(DatasetKind.Synthetic, request.Data!.Dataset);
        Assert.Equal("mlp", request.Model!.Architecture);
        Assert.Equal(OptimizerKind.AdamW, request.Optimizer!.Name);
        Assert.Equal(0.01, request.Optimizer.LearningRate);
        Assert.Equal(32, request.Training!.BatchSize);
        Assert.Equal(500, request.Training.MaxSteps);
        Assert.Equal(0.9, request.Stopping!.TargetMetric);
        Assert.Equal(50, request.Execution!.StepsPerChunk);
        Assert.Equal(30, request.Execution.ChunkSeconds);
        Assert.Equal(2, request.Replicas!.Count);
        Assert.Equal(MergeStrategy.OuterNesterov, request.Replicas.Merge);
    }

    [Fact]
    public void Read_FieldsMissingFromASection_TakeTheSectionDefaults()
    {
        var (request, errors) = Read("""{"optimizer":{"learningRate":0.05},"training":{"epochs":2}}""");

        Assert.Empty(errors);
        Assert.Equal(new OptimizerSection(LearningRate: 0.05), request!.Optimizer);
        Assert.Equal(new TrainingSection(Epochs: 2), request.Training);
        Assert.Null(request.Model);
        Assert.Null(request.Data);
    }

    [Fact]
    public void Read_NullSectionOrField_MeansTheDefault()
    {
        var (request, errors) = Read("""{"model":null,"training":{"maxSteps":null,"epochs":1}}""");

        Assert.Empty(errors);
        Assert.Null(request!.Model);
        Assert.Equal(new TrainingSection(Epochs: 1), request.Training);
    }

    [Fact]
    public void Read_EmptyBody_MeansAllDefaults()
    {
        var (request, errors) = TrainingRequestReader.Read([]);

        Assert.Empty(errors);
        Assert.Equal(new TrainingRequest(), request);
    }

    [Theory]
    [InlineData("{", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("\"text\"", "body")]
    [InlineData("""{"training":{"batchSize":"64"}}""", "training.batchSize")]
    [InlineData("""{"training":{"batchSize":64.5}}""", "training.batchSize")]
    [InlineData("""{"training":{"batchSize":99999999999}}""", "training.batchSize")]
    [InlineData("""{"training":{"maxSteps":"many"}}""", "training.maxSteps")]
    [InlineData("""{"optimizer":{"learningRate":"fast"}}""", "optimizer.learningRate")]
    [InlineData("""{"optimizer":{"learningRate":1e999}}""", "optimizer.learningRate")]
    [InlineData("""{"optimizer":{"nesterov":1}}""", "optimizer.nesterov")]
    [InlineData("""{"optimizer":{"name":"adamW"}}""", "optimizer.name")]
    [InlineData("""{"optimizer":{"name":3}}""", "optimizer.name")]
    [InlineData("""{"data":{"dataset":"FashionMnist"}}""", "data.dataset")]
    [InlineData("""{"model":{"architecture":7}}""", "model.architecture")]
    [InlineData("""{"model":7}""", "model")]
    [InlineData("""{"training":[1]}""", "training")]
    [InlineData("""{"runId":5}""", "runId")]
    [InlineData("""{"colour":"blue"}""", "colour")]
    [InlineData("""{"optimizer":{"lr":0.1}}""", "optimizer.lr")]
    [InlineData("""{"training":{"epochs":1,"epochs":2}}""", "training.epochs")]
    [InlineData("""{"training":{"epochs":1},"training":{"epochs":2}}""", "training")]
    public void Read_MalformedInput_NamesTheOffendingField(string json, string field)
    {
        var (request, errors) = Read(json);

        Assert.Null(request);
        Assert.Contains(errors, error => error.Field == field);
    }

    [Fact]
    public void Read_UnknownFieldInASection_IsReportedAtItsPathWithTheSectionsFields()
    {
        var (request, errors) = Read("""{"optimizer":{"lr":0.1}}""");

        Assert.Null(request);
        ValidationError error = Assert.Single(errors);
        Assert.Equal("optimizer.lr", error.Field);
        Assert.Contains("learningRate", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateFieldInASection_IsReportedOnce()
    {
        var (request, errors) = Read("""{"training":{"epochs":1,"epochs":2}}""");

        Assert.Null(request);
        ValidationError error = Assert.Single(errors);
        Assert.Equal("training.epochs", error.Field);
        Assert.Contains("once", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SeveralProblems_ReportsThemAllAtOnce()
    {
        var (_, errors) = Read("""{"training":{"batchSize":"x","epochs":true},"optimizer":{"momentum":"high"},"unknown":1}""");

        Assert.Equal(
            new[] { "optimizer.momentum", "training.batchSize", "training.epochs", "unknown" },
            errors.Select(error => error.Field).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Read_OldFlatBody_NamesEachOldFieldWithItsNewPath()
    {
        var (request, errors) = Read("""{"learningRate":0.01,"epochs":2}""");

        Assert.Null(request);
        Assert.Equal(2, errors.Count);
        Assert.Contains("optimizer.learningRate", Assert.Single(errors, error => error.Field == "learningRate").Rule, StringComparison.Ordinal);
        Assert.Contains("training.epochs", Assert.Single(errors, error => error.Field == "epochs").Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hiddenUnits", "model.parameters.hiddenUnits")]
    [InlineData("keepLastCheckpoints", "checkpoints.keepLast")]
    [InlineData("stepsPerChunk", "execution.stepsPerChunk")]
    [InlineData("minLearningRateFactor", "schedule.minFactor")]
    [InlineData("dataset", "data.dataset")]
    [InlineData("targetMetric", "stopping.targetMetric")]
    public void Read_OldFlatField_RuleNamesTheNewPath(string oldField, string newPath)
    {
        var (request, errors) = Read($$"""{"{{oldField}}":1}""");

        Assert.Null(request);
        ValidationError error = Assert.Single(errors);
        Assert.Equal(oldField, error.Field);
        Assert.Contains(newPath, error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"optimizer":"sgd"}""", "optimizer", "optimizer.name")]
    [InlineData("""{"model":"mlp"}""", "model", "model.architecture")]
    [InlineData("""{"replicas":2}""", "replicas", "replicas.count")]
    public void Read_OldPlainValueOfWhatIsNowASection_NamesTheSectionsMainField(string json, string field, string newPath)
    {
        var (request, errors) = Read(json);

        Assert.Null(request);
        ValidationError error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(newPath, error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ModelParameters_AcceptNumbersAndTrueOrFalse()
    {
        var (request, errors) = Read("""{"model":{"architecture":"mlp","parameters":{"hiddenUnits":64,"hiddenLayers":2,"dropout":0.25,"batchNorm":true,"bias":false}}}""");

        Assert.Empty(errors);
        IReadOnlyDictionary<string, double> parameters = request!.Model!.Parameters!;
        Assert.Equal(64, parameters["hiddenUnits"]);
        Assert.Equal(2, parameters["hiddenLayers"]);
        Assert.Equal(0.25, parameters["dropout"]);
        Assert.Equal(1, parameters["batchNorm"]);
        Assert.Equal(0, parameters["bias"]);
    }

    [Theory]
    [InlineData("""{"model":{"parameters":{"hiddenUnits":"64"}}}""", "model.parameters.hiddenUnits")]
    [InlineData("""{"model":{"parameters":{"hiddenUnits":null}}}""", "model.parameters.hiddenUnits")]
    [InlineData("""{"model":{"parameters":{"hiddenUnits":[64]}}}""", "model.parameters.hiddenUnits")]
    [InlineData("""{"model":{"parameters":{"hiddenUnits":1,"hiddenUnits":2}}}""", "model.parameters.hiddenUnits")]
    [InlineData("""{"model":{"parameters":[1]}}""", "model.parameters")]
    [InlineData("""{"model":{"parameters":64}}""", "model.parameters")]
    public void Read_BadModelParameter_IsAnErrorAtItsPath(string json, string field)
    {
        var (request, errors) = Read(json);

        Assert.Null(request);
        Assert.Equal(field, Assert.Single(errors).Field);
    }

    [Fact]
    public void Read_DeclarativeLayers_BindWithNestedResidualBlocks()
    {
        var (request, errors) = Read("""
            {"model":{"layers":[
              {"type":"conv2d","name":"stem","channels":16,"kernel":3,"padding":1},
              {"type":"relu"},
              {"type":"residual","layers":[{"type":"conv2d","channels":16,"kernel":3,"padding":1},{"type":"batchnorm"},
                                           {"type":"residual","layers":[{"type":"relu"}]}],
                                 "shortcut":[{"type":"conv2d","channels":16,"kernel":1}]},
              {"type":"flatten"},
              {"type":"dropout","p":0.5},
              {"type":"linear","units":10}]}}
            """);

        Assert.Empty(errors);
        IReadOnlyList<LayerSpec> layers = request!.Model!.Layers!;
        Assert.Null(request.Model.Architecture);
        Assert.Equal(new[] { "conv2d", "relu", "residual", "flatten", "dropout", "linear" }, layers.Select(layer => layer.Type).ToArray());
        Assert.Equal("stem", layers[0].Name);
        Assert.Equal(16, layers[0].Channels);
        Assert.Equal(3, layers[0].Kernel);
        Assert.Equal(1, layers[0].Padding);
        Assert.Equal(0.5, layers[4].P);
        Assert.Equal(10, layers[5].Units);
        LayerSpec residual = layers[2];
        Assert.Equal(new[] { "conv2d", "batchnorm", "residual" }, residual.Layers!.Select(layer => layer.Type).ToArray());
        Assert.Equal("relu", Assert.Single(residual.Layers![2].Layers!).Type);
        Assert.Equal(1, Assert.Single(residual.Shortcut!).Kernel);
    }

    [Theory]
    [InlineData("""{"model":{"layers":[{"type":"flatten"},7]}}""", "model.layers[1]")]
    [InlineData("""{"model":{"layers":[{"type":"flatten"},[{"type":"relu"}]]}}""", "model.layers[1]")]
    [InlineData("""{"model":{"layers":[{"type":"linear","units":"ten"}]}}""", "model.layers[0].units")]
    [InlineData("""{"model":{"layers":[{"type":"linear","groups":2}]}}""", "model.layers[0].groups")]
    [InlineData("""{"model":{"layers":[{"type":7}]}}""", "model.layers[0].type")]
    [InlineData("""{"model":{"layers":[{"type":"residual","layers":[{"type":"linear","units":1.5}]}]}}""", "model.layers[0].layers[0].units")]
    [InlineData("""{"model":{"layers":[{"type":"residual","layers":{"type":"relu"}}]}}""", "model.layers[0].layers")]
    [InlineData("""{"model":{"layers":{"type":"relu"}}}""", "model.layers")]
    public void Read_BadLayer_IsAnErrorAtItsPath(string json, string field)
    {
        var (request, errors) = Read(json);

        Assert.Null(request);
        Assert.Equal(field, Assert.Single(errors).Field);
    }

    [Fact]
    public void Read_OversizedBody_IsRefusedWithoutParsing()
    {
        var (request, errors) = TrainingRequestReader.Read(new byte[TrainingRequestReader.MaxBodyBytes + 1]);

        Assert.Null(request);
        Assert.Equal("body", Assert.Single(errors).Field);
    }

    [Fact]
    public void Read_TooDeeplyNested_IsRefusedAsBody()
    {
        string json = """{"model":{"layers":[""" + string.Concat(Enumerable.Repeat("""{"type":"residual","layers":[""", 20))
            + string.Concat(Enumerable.Repeat("]}", 20)) + "]}}";

        var (request, errors) = Read(json);

        Assert.Null(request);
        Assert.Equal("body", Assert.Single(errors).Field);
    }

    [Fact]
    public void Read_VeryLongString_IsRefused()
    {
        var (_, errors) = Read($$"""{"runId":"{{new string('a', 300)}}"}""");

        Assert.Equal("runId", Assert.Single(errors).Field);
    }

    [Fact]
    public void Read_VeryLongFieldName_IsShortenedInTheError()
    {
        var (_, errors) = Read($$$"""{"optimizer":{"{{{new string('x', 300)}}}":1}}""");

        Assert.True(Assert.Single(errors).Field.Length < 100);
    }

    [Fact]
    public void FieldNames_AreTheRunIdAndTheSections()
    {
        Assert.Equal(
            new[] { "checkpoints", "data", "evaluation", "execution", "model", "optimizer", "replicas", "runId", "schedule", "stopping", "training" },
            TrainingRequestReader.FieldNames.Order(StringComparer.Ordinal).ToArray());
    }
}
