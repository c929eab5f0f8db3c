using System.Text.Json;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Tests;

public class RunIdTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("run-2024-01")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890ab")]
    public void LowerCaseDigitsAndInnerHyphens_AreRunIds(string text)
    {
        Assert.True(RunId.TryParse(text, out RunId? id));
        Assert.Equal(text, id.Value);
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    [InlineData("Upper")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a\nb")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890abc")]
    public void AnythingUnsafeForBlobNamesAndUrls_IsRefused_StatingTheRule(string text)
    {
        Assert.False(RunId.IsValid(text));
        FormatException error = Assert.Throws<FormatException>(() => RunId.Parse(text));
        Assert.Contains(RunId.Rule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnTheWire_ARunIdIsItsPlainString_AsAValueAndAsAKey()
    {
        var checkpoint = new CheckpointReference(RunId.Parse("run-7"), "round-000001/merged");
        var byRun = new Dictionary<RunId, int> { [RunId.Parse("run-7")] = 3 };

        Assert.Equal("{\"RunId\":\"run-7\",\"Name\":\"round-000001/merged\"}", JsonSerializer.Serialize(checkpoint));
        Assert.Equal("{\"run-7\":3}", JsonSerializer.Serialize(byRun));
        Assert.Equal(checkpoint, JsonSerializer.Deserialize<CheckpointReference>("{\"RunId\":\"run-7\",\"Name\":\"round-000001/merged\"}"));
        Assert.Equal(3, JsonSerializer.Deserialize<Dictionary<RunId, int>>("{\"run-7\":3}")![RunId.Parse("run-7")]);
    }

    [Fact]
    public void ReadingAnInvalidIdFromJson_FailsNamingTheRule()
    {
        JsonException error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CheckpointReference>("{\"RunId\":\"../etc\",\"Name\":\"initial\"}"));

        Assert.Contains(RunId.Rule, error.Message, StringComparison.Ordinal);
    }
}
