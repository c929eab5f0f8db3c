using System.Text;
using DurableTrainer.Api;

namespace DurableTrainer.Adapters.Tests;

public class TrainingRequestReaderTests
{
    private static (Application.Contracts.TrainingRequest? Request, IReadOnlyList<Domain.Configuration.ValidationError> Errors) Read(string json) =>
        TrainingRequestReader.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Read_WellFormedRequest_BindsEveryField()
    {
        var (request, errors) = Read("""{"runId":"abc","learningRate":0.01,"batchSize":32,"maxSteps":500,"model":"mlp","targetMetric":0.9}""");

        Assert.Empty(errors);
        Assert.Equal("abc", request!.RunId);
        Assert.Equal(0.01, request.LearningRate);
        Assert.Equal(32, request.BatchSize);
        Assert.Equal(500, request.MaxSteps);
        Assert.Equal("mlp", request.Model);
        Assert.Equal(0.9, request.TargetMetric);
    }

    [Fact]
    public void Read_EmptyBody_MeansAllDefaults()
    {
        var (request, errors) = TrainingRequestReader.Read([]);

        Assert.Empty(errors);
        Assert.Equal(new Application.Contracts.TrainingRequest(), request);
    }

    [Theory]
    [InlineData("{", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("\"text\"", "body")]
    [InlineData("""{"batchSize":"64"}""", "batchSize")]
    [InlineData("""{"batchSize":64.5}""", "batchSize")]
    [InlineData("""{"batchSize":99999999999}""", "batchSize")]
    [InlineData("""{"learningRate":"fast"}""", "learningRate")]
    [InlineData("""{"learningRate":1e999}""", "learningRate")]
    [InlineData("""{"model":7}""", "model")]
    [InlineData("""{"colour":"blue"}""", "colour")]
    [InlineData("""{"epochs":1,"epochs":2}""", "epochs")]
    public void Read_MalformedInput_NamesTheOffendingField(string json, string field)
    {
        var (request, errors) = Read(json);

        Assert.Null(request);
        Assert.Contains(errors, error => error.Field == field);
    }

    [Fact]
    public void Read_SeveralProblems_ReportsThemAllAtOnce()
    {
        var (_, errors) = Read("""{"batchSize":"x","epochs":true,"unknown":1}""");

        Assert.Equal(new[] { "batchSize", "epochs", "unknown" }, errors.Select(error => error.Field).Order().ToArray());
    }

    [Fact]
    public void Read_OversizedBody_IsRefusedWithoutParsing()
    {
        var (request, errors) = TrainingRequestReader.Read(new byte[TrainingRequestReader.MaxBodyBytes + 1]);

        Assert.Null(request);
        Assert.Equal("body", Assert.Single(errors).Field);
    }

    [Fact]
    public void Read_VeryLongString_IsRefused()
    {
        var (_, errors) = Read($$"""{"runId":"{{new string('a', 300)}}"}""");

        Assert.Equal("runId", Assert.Single(errors).Field);
    }
}
