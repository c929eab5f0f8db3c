using System.Text.Json.Nodes;
using DurableTrainer.Cli.Commands;
using DurableTrainer.Cli.Client;

namespace DurableTrainer.Cli.Tests;

/// <summary>How <c>dtrain sweep --param</c> values become the sweep request's space.</summary>
public class SweepParametersTests
{
    [Fact]
    public void ListOfValues_IsAChoice_KeepingEachValuesJsonType()
    {
        JsonObject space = SweepParameters.Space(["optimizer.learningRate=0.001,0.01", "model.parameters.batchNorm=false,true", "optimizer.name=adam,sgd"]);

        Assert.Equal("""{"choice":[0.001,0.01]}""", space["optimizer.learningRate"]!.ToJsonString());
        Assert.Equal("""{"choice":[false,true]}""", space["model.parameters.batchNorm"]!.ToJsonString());
        Assert.Equal("""{"choice":["adam","sgd"]}""", space["optimizer.name"]!.ToJsonString());
    }

    [Theory]
    [InlineData("optimizer.learningRate=loguniform:0.0001:0.01", "loguniform", 0.0001, 0.01)]
    [InlineData("optimizer.momentum=uniform:0.5:0.99", "uniform", 0.5, 0.99)]
    [InlineData("training.batchSize=int:16:256", "int", 16, 256)]
    public void Range_BecomesItsDistribution(string parameter, string kind, double low, double high)
    {
        JsonObject space = SweepParameters.Space([parameter]);

        JsonArray bounds = space.Single().Value![kind]!.AsArray();
        Assert.Equal(low, bounds[0]!.GetValue<double>());
        Assert.Equal(high, bounds[1]!.GetValue<double>());
    }

    [Theory]
    [InlineData("optimizer.learningRate")]
    [InlineData("=0.1")]
    [InlineData("optimizer.learningRate=")]
    [InlineData("optimizer.learningRate=loguniform:0.001")]
    [InlineData("optimizer.learningRate=uniform:a:b")]
    public void MalformedParameter_IsAUsageErrorSayingTheForm(string parameter)
    {
        CliException error = Assert.Throws<CliException>(() => SweepParameters.Space([parameter]));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("--param", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SamePathTwice_IsAUsageError()
    {
        CliException error = Assert.Throws<CliException>(() => SweepParameters.Space(["a.b=1", "a.b=2"]));

        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
    }
}
