namespace DurableTrainer.Durable.Tests;

public class OrchestrationVersionsTests
{
    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData(OrchestrationVersions.Current)]
    public void TheCurrentVersionAndRunsFromBeforeVersions_AreContinued(string? version) =>
        Assert.Null(OrchestrationVersions.Refusal("Training", version));

    [Theory]
    [InlineData("0")]
    [InlineData("999-future")]
    public void AnyOtherVersion_IsRefusedInOneSentence_NamingBothVersionsAndWhatToDo(string version)
    {
        string? refusal = OrchestrationVersions.Refusal("Training", version);

        Assert.NotNull(refusal);
        Assert.Contains($"version '{version}'", refusal, StringComparison.Ordinal);
        Assert.Contains($"runs version '{OrchestrationVersions.Current}'", refusal, StringComparison.Ordinal);
        Assert.Contains("task hub of its own", refusal, StringComparison.Ordinal);
        Assert.Single(refusal.Split(". ", StringSplitOptions.None));
    }
}
