using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Watching;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Cli.Tests;

public class RunResultLineTests
{
    [Theory]
    [InlineData(TrainingOutcomeStatus.Completed, "Completed")]
    [InlineData(TrainingOutcomeStatus.Stopped, "Stopped")]
    public void TheJsonLine_SpellsTheOutcomeByName(TrainingOutcomeStatus status, string expected)
    {
        var outcome = new TrainingOutcome { RunId = RunId.Parse("run-1"), Status = status, StopReason = "PlanCompleted", StepsDone = 40 };
        var final = new RunSnapshot("run-1", InstanceRuntimeStatus.Completed, Progress: null, outcome, FailureText: null, DateTime.UnixEpoch, DateTime.UnixEpoch);

        JsonElement line = JsonDocument.Parse(RunResultLine.For(final, TimeSpan.FromSeconds(3))).RootElement;

        Assert.Equal(expected, line.GetProperty("outcome").GetString());
        Assert.Equal("Completed", line.GetProperty("status").GetString());
        Assert.Equal(40, line.GetProperty("steps").GetInt64());
    }
}
