using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Sweeps;

namespace DurableTrainer.Application.Tests;

public class FindLostTrialsHandlerTests
{
    [Fact]
    public async Task TerminatedFailedAndPurgedTrialsAreLost_RunningAndCompletedOnesAreNot()
    {
        var runs = new RecordingRunStarter();
        runs.Statuses["s-t000"] = InstanceRuntimeStatus.Running;
        runs.Statuses["s-t001"] = InstanceRuntimeStatus.Terminated;
        runs.Statuses["s-t002"] = InstanceRuntimeStatus.Completed;
        runs.Statuses["s-t003"] = InstanceRuntimeStatus.Failed;
        runs.Statuses["s-t004"] = InstanceRuntimeStatus.Suspended;

        IReadOnlyList<LostTrial> lost = await new FindLostTrialsHandler(runs).FindAsync(new FindLostTrialsCommand("s", [0, 1, 2, 3, 4, 5]));

        Assert.Equal([1, 3, 5], lost.Select(trial => trial.Trial));
        Assert.Contains("ended Terminated without reporting", lost[0].Reason, StringComparison.Ordinal);
        Assert.Contains("s-t005 no longer exists", lost[2].Reason, StringComparison.Ordinal);
    }
}
