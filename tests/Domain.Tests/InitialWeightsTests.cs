using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Tests;

/// <summary><c>model.initFrom</c> and <c>model.freeze</c> on their own: where the weights come from, and which layer names mean.</summary>
public class InitialWeightsTests
{
    private static string[] Fields(IReadOnlyList<ValidationError> errors) => [.. errors.Select(error => error.Field).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData("features", "features.0.weight", true)]
    [InlineData("features", "features", true)]
    [InlineData("features", "features2.weight", false)]
    [InlineData("features.0", "features.0.bias", true)]
    [InlineData("block*", "block2.conv.weight", true)]
    [InlineData("block*", "head.weight", false)]
    [InlineData("fc1", "fc10.weight", false)]
    public void ALayerName_MatchesTheKeysUnderIt_AndAStarMatchesByPrefix(string name, string key, bool matches) =>
        Assert.Equal(matches, LayerNames.Matches(key, name));

    [Fact]
    public void ARunOrAFile_IsValid_WithTheirOwnFields()
    {
        Assert.Empty(new InitialWeights(Run: "run-1", Checkpoint: CheckpointChoice.Best, Strict: false, Reinitialize: ["head"]).Validate());
        Assert.Empty(new InitialWeights(File: "weights.safetensors", Sha256: new string('a', 64)).Validate());
        Assert.Empty(new ModelSection("mlp", Freeze: ["fc1", "bn*"], InitFrom: new InitialWeights(Run: "run-1")).Validate());
    }

    [Fact]
    public void EachBrokenRule_IsReportedUnderItsOwnPath()
    {
        Assert.Equal(["model.initFrom.run"], Fields(new InitialWeights().Validate()));
        Assert.Equal(["model.initFrom.file"], Fields(new InitialWeights(Run: "run-1", File: "w.pt").Validate()));
        Assert.Equal(["model.initFrom.checkpoint", "model.initFrom.sha256"], Fields(new InitialWeights(File: "w.pt", Checkpoint: CheckpointChoice.Final, Sha256: "abc").Validate()));
        Assert.Equal(["model.initFrom.file"], Fields(new InitialWeights(File: "../checkpoints/x").Validate()));
        Assert.Equal(["model.initFrom.run"], Fields(new InitialWeights(Run: "Not A Run").Validate()));
        Assert.Equal(["model.initFrom.checkpointName"], Fields(new InitialWeights(File: "w.pt", CheckpointName: "initial").Validate()));
        Assert.Equal(["model.initFrom.reinitialize[1]"], Fields(new InitialWeights(Run: "run-1", Reinitialize: ["head", "a b"]).Validate()));
        Assert.Equal(["model.freeze", "model.freeze[0]"], Fields(new ModelSection("mlp", Freeze: ["*", .. Enumerable.Repeat("fc1", 64)]).Validate()));
    }

    [Fact]
    public void AModelChosenForASectionThatNamedNone_KeepsWhatItStartsFromAndFreezes()
    {
        var given = new ModelSection(InitFrom: new InitialWeights(File: "w.pt"), Freeze: ["fc1"]);

        ModelSection chosen = ModelSection.DefaultFor(new DataShape([4], 3)).WithInitAndFreezeOf(given);

        Assert.True(given.IsUnspecified());
        Assert.Equal("mlp", chosen.Architecture);
        Assert.Equal("w.pt", chosen.InitFrom!.File);
        Assert.Equal(["fc1"], chosen.Freeze!);
    }
}
