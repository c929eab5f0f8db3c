using System.Text.Json.Nodes;
using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Tests;

/// <summary>Which run the local worker is told to check as it starts (Api:WarmUpRun).</summary>
public sealed class ExpectedRunTests
{
    [Fact]
    public void TheDefaultRun_IsHandedToTheWorker_Whole()
    {
        var request = DtrainCommandLine.DefaultRun();

        string? expected = TrainCommand.ExpectedRun(request);

        Assert.Equal(request.ToJsonString(), expected);
    }

    [Theory]
    [InlineData("""{"data":{"source":"tables/iris.csv","label":"species"}}""")]
    [InlineData("""{"model":{"file":"nets/mine.pt","sha256":"00"}}""")]
    public void ARunNamingFilesInBlobStorage_IsLeftToItsSubmission(string json)
    {
        var request = (JsonObject)JsonNode.Parse(json)!;

        Assert.Null(TrainCommand.ExpectedRun(request));
    }

    [Fact]
    public void ARunWithALocalFileToUpload_IsLeftToItsSubmission()
    {
        var files = new LocalFiles(new ModelFileUpload(new FileInfo("mine.pt"), "mine.pt"), null);

        Assert.Null(TrainCommand.ExpectedRun(DtrainCommandLine.DefaultRun(), files));
    }
}
