using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.Watching;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Cli.Tests;

/// <summary>How often the watcher looks: its interval, except in the run's final stretch, where it looks often enough to end with the run.</summary>
public sealed class WatchIntervalTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly DateTime Now = new(2026, 12, 3, 6, 0, 0, DateTimeKind.Utc);

    private static RunSnapshot Snapshot(TrainingPhase phase, double? secondsRemaining, long steps = 1266, double updatedAfterSeconds = 0) => new(
        "run-i",
        InstanceRuntimeStatus.Running,
        new TrainingProgress
        {
            RunId = RunId.Parse("run-i"),
            Phase = phase,
            Round = 3,
            TotalRounds = 4,
            Step = steps,
            TotalSteps = 1688,
            Epoch = 1.5,
            LastLoss = 0.2,
            SamplesPerSecond = 2400,
            SecondsRemaining = secondsRemaining,
        },
        null,
        null,
        DateTime.UnixEpoch,
        DateTime.UnixEpoch.AddSeconds(steps + updatedAfterSeconds));

    /// <summary>A client for the watcher, which never calls it here; each test disposes its own.</summary>
    private static TrainingServerClient Client() => new(new Uri(FakeServer.Address), key: null);

    private static RunWatcher Watcher(TrainingServerClient client, TimeSpan interval) => new(client, interval);

    [Fact]
    public void DelayAfter_ATrainingRoundWithTimeToGo_IsTheInterval()
    {
        using TrainingServerClient client = Client();
        Assert.Equal(Interval, Watcher(client, Interval).DelayAfter(Snapshot(TrainingPhase.Training, 11), Now));
        Assert.Equal(Interval, Watcher(client, Interval).DelayAfter(Snapshot(TrainingPhase.Training, null), Now));
    }

    [Theory]
    [InlineData(TrainingPhase.Testing, null)]
    [InlineData(TrainingPhase.Testing, 11.0)]
    [InlineData(TrainingPhase.Training, 0.5)]
    public void DelayAfter_TheTestOrTheLastSecondOfTheEstimate_IsATenthOfASecond(TrainingPhase phase, double? secondsRemaining)
    {
        using TrainingServerClient client = Client();
        Assert.Equal(RunWatcher.FinalStretchInterval, Watcher(client, Interval).DelayAfter(Snapshot(phase, secondsRemaining), Now));
    }

    [Fact]
    public void DelayAfter_AnEstimateSeenEarlier_ShortensAsItsEndComesNearFromWhenItWasFirstSeen()
    {
        // The last round's report says 12 s to go and is not replaced until the run ends: the watcher waits a tenth
        // of what is left from when it first saw it, every 0.1 s in the last second and past the end, and gives up
        // looking closely once the run overruns by the allowance.
        using TrainingServerClient client = Client();
        RunWatcher watcher = Watcher(client, Interval);
        RunSnapshot lastRound = Snapshot(TrainingPhase.Training, 12);

        Assert.Equal(Interval, watcher.DelayAfter(lastRound, Now));
        Assert.Equal(TimeSpan.FromSeconds(0.5), watcher.DelayAfter(lastRound, Now.AddSeconds(7)));
        Assert.Equal(RunWatcher.FinalStretchInterval, watcher.DelayAfter(lastRound, Now.AddSeconds(11.2)));
        Assert.Equal(RunWatcher.FinalStretchInterval, watcher.DelayAfter(lastRound, Now.AddSeconds(20)));
        Assert.Equal(Interval, watcher.DelayAfter(lastRound, Now + TimeSpan.FromSeconds(12) + RunWatcher.FinalStretchOverrun + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void DelayAfter_ANewRoundsEstimate_StartsItsOwnCountdown()
    {
        using TrainingServerClient client = Client();
        RunWatcher watcher = Watcher(client, Interval);
        watcher.DelayAfter(Snapshot(TrainingPhase.Training, 12, steps: 844), Now);

        // At 11.5 s the first estimate would be in its last second, but a new round reported 12 s more just now.
        Assert.Equal(Interval, watcher.DelayAfter(Snapshot(TrainingPhase.Training, 12, steps: 1266), Now.AddSeconds(11.5)));
        Assert.Equal(RunWatcher.FinalStretchInterval, watcher.DelayAfter(Snapshot(TrainingPhase.Training, 12, steps: 1266), Now.AddSeconds(22.8)));
    }

    [Fact]
    public void DelayAfter_TheSameReportUpdatedByALaterEpisode_KeepsItsCountdown()
    {
        // A journal write settled after the last chunk updates the status, but the report (step, estimate) is the
        // round's: the run is still past its estimated end, so the watcher keeps looking closely.
        using TrainingServerClient client = Client();
        RunWatcher watcher = Watcher(client, Interval);
        watcher.DelayAfter(Snapshot(TrainingPhase.Training, 12, steps: 844), Now);

        Assert.Equal(RunWatcher.FinalStretchInterval, watcher.DelayAfter(Snapshot(TrainingPhase.Training, 12, steps: 844, updatedAfterSeconds: 13), Now.AddSeconds(13)));
    }

    [Fact]
    public void DelayAfter_AnIntervalShorterThanTheFinalStretchs_IsKept()
    {
        using TrainingServerClient client = Client();
        Assert.Equal(TimeSpan.FromMilliseconds(20), Watcher(client, TimeSpan.FromMilliseconds(20)).DelayAfter(Snapshot(TrainingPhase.Testing, null), Now));
    }
}
