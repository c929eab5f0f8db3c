using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Server;
using DurableTrainer.Cli.Watching;

namespace DurableTrainer.Cli.Tests;

/// <summary>How often the watcher looks: its interval, except in the run's final stretch, where it looks often enough to end with the run.</summary>
public sealed class WatchIntervalTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static RunSnapshot Snapshot(string phase, double? secondsRemaining) => new(
        "run-i",
        "Running",
        new TrainingProgress("run-i", phase, 3, 4, 1266, 1688, 1.5, 0.2, 2400, null, null, secondsRemaining, []),
        null,
        null,
        DateTime.UnixEpoch,
        DateTime.UnixEpoch);

    private static RunWatcher Watcher(TimeSpan interval) => new(new TrainingServerClient(new Uri(FakeServer.Address), key: null), interval);

    [Fact]
    public void DelayAfter_ATrainingRoundWithTimeToGo_IsTheInterval()
    {
        Assert.Equal(Interval, Watcher(Interval).DelayAfter(Snapshot("Training", 11)));
        Assert.Equal(Interval, Watcher(Interval).DelayAfter(Snapshot("Training", null)));
    }

    [Theory]
    [InlineData("Testing", null)]
    [InlineData("Testing", 11.0)]
    [InlineData("Training", 0.5)]
    public void DelayAfter_TheTestOrTheLastSecondOfTheEstimate_IsATenthOfASecond(string phase, double? secondsRemaining) =>
        Assert.Equal(RunWatcher.FinalStretchInterval, Watcher(Interval).DelayAfter(Snapshot(phase, secondsRemaining)));

    [Fact]
    public void DelayAfter_AnIntervalShorterThanTheFinalStretchs_IsKept() =>
        Assert.Equal(TimeSpan.FromMilliseconds(20), Watcher(TimeSpan.FromMilliseconds(20)).DelayAfter(Snapshot("Testing", null)));
}
