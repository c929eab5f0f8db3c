using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Sweeps;
using FsCheck;
using FsCheck.Xunit;

namespace DurableTrainer.Domain.Tests;

/// <summary>The sweep's pure parts: the space and its points, ASHA's rungs and verdicts, and the session's decisions.</summary>
public class SweepTests
{
    private static SweepSettings Asha(long grace = 100, double eta = 3, int concurrent = 2, long? budget = null) =>
        new(new SearchSection(), new SchedulerSection(SweepSchedulerKind.Asha, grace, eta), concurrent, budget);

    [Fact]
    public void AshaRungs_AreGraceTimesPowersOfEta_BelowTheMaximum()
    {
        Assert.Equal([100L, 300, 900], AshaScheduler.Rungs(100, 3, 2000));
        Assert.Equal([100L, 300], AshaScheduler.Rungs(100, 3, 900));
        Assert.Equal([250L, 500, 1000, 2000], AshaScheduler.Rungs(250, 2, 2500));
        Assert.Empty(AshaScheduler.Rungs(500, 3, 500));
    }

    [Fact]
    public void Asha_FirstTrialAtARung_AlwaysGoesOn()
    {
        RungJudgement verdict = AshaScheduler.Judge([], 0.01, 3, MonitorMode.Max, 0, 100, "accuracy");
        Assert.True(verdict.Continues);
        Assert.Null(verdict.Cutoff);
    }

    [Fact]
    public void Asha_TrialBelowTheTopFraction_StopsWithTheRungAndTheCutoffInItsReason()
    {
        // (1 - 1/3) quantile of [0.5, 0.7], interpolated: 0.5 + 0.2 * 2/3.
        RungJudgement verdict = AshaScheduler.Judge([0.5, 0.7], 0.55, 3, MonitorMode.Max, 1, 300, "accuracy");
        Assert.False(verdict.Continues);
        Assert.Equal(0.5 + (0.2 * 2 / 3), verdict.Cutoff!.Value, 12);
        Assert.Contains("rung 2 (300 steps)", verdict.Reason, StringComparison.Ordinal);
        Assert.Contains("cut-off 0.633333", verdict.Reason, StringComparison.Ordinal);
        Assert.True(AshaScheduler.Judge([0.5, 0.7], 0.64, 3, MonitorMode.Max, 1, 300, "accuracy").Continues);
    }

    [Fact]
    public void Asha_MinimisedMetric_KeepsTheLowestValues()
    {
        RungJudgement high = AshaScheduler.Judge([0.3, 0.5], 0.45, 2, MonitorMode.Min, 0, 100, "loss");
        RungJudgement low = AshaScheduler.Judge([0.3, 0.5], 0.35, 2, MonitorMode.Min, 0, 100, "loss");
        Assert.False(high.Continues);
        Assert.Equal(0.4, high.Cutoff!.Value, 12);
        Assert.Contains("above the cut-off 0.4", high.Reason, StringComparison.Ordinal);
        Assert.True(low.Continues);
    }

    [Fact]
    public void Asha_NonFiniteMetric_Stops()
    {
        Assert.False(AshaScheduler.Judge([0.5], double.NaN, 3, MonitorMode.Max, 0, 100, "accuracy").Continues);
    }

    [Property(MaxTest = 300)]
    public bool Asha_GoesOnExactlyWhenNotBelowTheCutoff(NormalFloat[] recorded, NormalFloat value, bool maximise, PositiveInt eta)
    {
        double reduction = 2 + (eta.Get % 5);
        double[] values = recorded.Select(item => item.Get).ToArray();
        MonitorMode mode = maximise ? MonitorMode.Max : MonitorMode.Min;
        RungJudgement verdict = AshaScheduler.Judge(values, value.Get, reduction, mode, 0, 100, "metric");
        if (values.Length == 0)
        {
            return verdict.Continues;
        }

        bool better = maximise ? value.Get >= verdict.Cutoff!.Value : value.Get <= verdict.Cutoff!.Value;
        bool beatsAll = maximise ? value.Get >= values.Max() : value.Get <= values.Min();
        bool losesToAll = maximise ? value.Get < values.Min() : value.Get > values.Max();
        return verdict.Continues == better && (!beatsAll || verdict.Continues) && (!losesToAll || !verdict.Continues);
    }

    [Fact]
    public void Percentile_InterpolatesLinearlyBetweenClosestRanks()
    {
        Assert.Equal(2.5, AshaScheduler.Percentile([4, 1, 3, 2], 50), 12);
        Assert.Equal(1, AshaScheduler.Percentile([1], 75), 12);
        Assert.Equal(3.25, AshaScheduler.Percentile([1, 2, 3, 4], 75), 12);
    }

    [Fact]
    public void Grid_VisitsEveryCombination_FirstDimensionOutermost()
    {
        var space = new SearchSpace([
            new SearchDimension("optimizer.learningRate", DistributionKind.Choice, ChoiceCount: 2),
            new SearchDimension("training.batchSize", DistributionKind.Int, Low: 3, High: 5),
        ]);
        IReadOnlyList<IReadOnlyList<double>> points = space.Points(new SearchSection(SearchMethod.Grid));
        Assert.Equal(6, points.Count);
        Assert.Equal([0d, 3], points[0]);
        Assert.Equal([0d, 5], points[2]);
        Assert.Equal([1d, 3], points[3]);
        Assert.Empty(space.Validate(new SearchSection(SearchMethod.Grid)));
    }

    [Fact]
    public void ShuffledGrid_HasTheSamePointsInASeededOrder()
    {
        var space = new SearchSpace([new SearchDimension("a", DistributionKind.Int, Low: 1, High: 12)]);
        string[] listed = [.. space.Points(new SearchSection(SearchMethod.Grid)).Select(point => point[0].ToString(System.Globalization.CultureInfo.InvariantCulture))];
        string[] shuffled = [.. space.Points(new SearchSection(SearchMethod.Grid, Seed: 3, Shuffle: true)).Select(point => point[0].ToString(System.Globalization.CultureInfo.InvariantCulture))];
        string[] again = [.. space.Points(new SearchSection(SearchMethod.Grid, Seed: 3, Shuffle: true)).Select(point => point[0].ToString(System.Globalization.CultureInfo.InvariantCulture))];

        Assert.NotEqual(listed, shuffled);
        Assert.Equal(shuffled, again);
        Assert.Equal(listed.Order(), shuffled.Order());
    }

    [Theory]
    [InlineData(DistributionKind.Choice, 0, 0, 0, "space[a.b]", "empty choice")]
    [InlineData(DistributionKind.LogUniform, 0, 0, 1, "space[a.b]", "greater than 0")]
    [InlineData(DistributionKind.LogUniform, 0, -1, 1, "space[a.b]", "greater than 0")]
    [InlineData(DistributionKind.Uniform, 0, 2, 1, "space[a.b]", "low below high")]
    [InlineData(DistributionKind.Int, 0, 1.5, 3, "space[a.b]", "whole numbers")]
    public void BadDimension_IsRefusedAtItsPath(DistributionKind kind, int choices, double low, double high, string field, string rule)
    {
        var space = new SearchSpace([new SearchDimension("a.b", kind, choices, low, high)]);
        IReadOnlyList<Specification.ValidationError> errors = space.Validate(new SearchSection(SearchMethod.Random, 4));
        Assert.Contains(errors, error => error.Field == field && error.Rule.Contains(rule, StringComparison.Ordinal));
    }

    [Fact]
    public void Grid_LargerThanTheLimit_IsRefused()
    {
        var space = new SearchSpace([
            new SearchDimension("a", DistributionKind.Int, Low: 1, High: 100),
            new SearchDimension("b", DistributionKind.Int, Low: 1, High: 100),
        ]);
        var error = Assert.Single(space.Validate(new SearchSection(SearchMethod.Grid)));
        Assert.Equal("space", error.Field);
        Assert.Contains("10000 points, more than the limit of 1000", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Grid_OverARealRange_IsRefusedAtThatPath()
    {
        var space = new SearchSpace([new SearchDimension("optimizer.learningRate", DistributionKind.LogUniform, Low: 1e-4, High: 1e-2)]);
        var error = Assert.Single(space.Validate(new SearchSection(SearchMethod.Grid)));
        Assert.Equal("space[optimizer.learningRate]", error.Field);
        Assert.Contains("random", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void SameSearchTwice_GivesTheSamePoints_AndADifferentSeedOthers()
    {
        var space = new SearchSpace([
            new SearchDimension("lr", DistributionKind.LogUniform, Low: 1e-4, High: 1e-1),
            new SearchDimension("width", DistributionKind.Int, Low: 16, High: 256),
            new SearchDimension("norm", DistributionKind.Choice, ChoiceCount: 2),
        ]);
        var first = space.Points(new SearchSection(SearchMethod.Random, 20, Seed: 7));
        var again = space.Points(new SearchSection(SearchMethod.Random, 20, Seed: 7));
        var other = space.Points(new SearchSection(SearchMethod.Random, 20, Seed: 8));
        Assert.Equal(first.Select(point => string.Join(',', point)), again.Select(point => string.Join(',', point)));
        Assert.NotEqual(first.Select(point => string.Join(',', point)), other.Select(point => string.Join(',', point)));
    }

    [Property(MaxTest = 200)]
    public bool RandomDraws_StayInsideTheirRanges_AndIntegersAreWhole(PositiveInt seed, PositiveInt trials)
    {
        var space = new SearchSpace([
            new SearchDimension("lr", DistributionKind.LogUniform, Low: 1e-5, High: 1),
            new SearchDimension("dropout", DistributionKind.Uniform, Low: 0, High: 0.5),
            new SearchDimension("width", DistributionKind.Int, Low: -3, High: 3),
            new SearchDimension("kind", DistributionKind.Choice, ChoiceCount: 3),
        ]);
        var points = space.Points(new SearchSection(SearchMethod.Random, 1 + (trials.Get % 50), seed.Get));
        return points.All(point =>
            point[0] is >= 1e-5 and <= 1 && point[1] is >= 0 and < 0.5
            && point[2] is >= -3 and <= 3 && Math.Floor(point[2]) == point[2]
            && point[3] is 0 or 1 or 2);
    }

    [Fact]
    public void Scheduler_GraceAtOrPastTheMaximum_AndEtaBelowTwo_AreRefused()
    {
        var errors = new SchedulerSection(SweepSchedulerKind.Asha, GraceSteps: 1000, ReductionFactor: 1.5).Validate(maximumSteps: 1000);
        Assert.Contains(errors, error => error.Field == "scheduler.graceSteps" && error.Rule.Contains("less than the trials' maximum of 1000", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.Field == "scheduler.reductionFactor" && error.Rule.Contains("at least 2", StringComparison.Ordinal));
        Assert.Empty(new SchedulerSection().Validate(10));
    }

    [Fact]
    public void Session_WithoutScheduler_RunsEveryTrialToItsEnd_NeverMoreThanTheLimitAtOnce()
    {
        TrialRecord[] trials = Enumerable.Range(0, 5).Select(index => new TrialRecord(index, [index], 400)).ToArray();
        var session = new SweepSession(trials, [], new SweepSettings(new SearchSection(), new SchedulerSection(), MaxConcurrent: 2), MonitorMode.Max, "accuracy");
        var running = new Queue<int>(session.Begin().OfType<SweepAction.StartTrial>().Select(start => start.Trial));
        Assert.Equal(2, running.Count);
        while (running.Count > 0)
        {
            int trial = running.Dequeue();
            foreach (SweepAction.StartTrial start in session.Receive(new TrialReport(trial, TrialReportKind.Ended, 400, 0.5 + (trial / 10.0))).OfType<SweepAction.StartTrial>())
            {
                running.Enqueue(start.Trial);
            }

            Assert.True(running.Count <= 2);
        }

        Assert.True(session.IsFinished);
        Assert.Equal(SweepStatus.Completed, session.Status);
        Assert.All(session.Trials, trial => Assert.Equal(TrialStatus.Completed, trial.Status));
        Assert.Equal(4, session.Best!.Index);
        Assert.Equal(2000, session.StepsDone);
    }

    [Fact]
    public void Session_Budget_StartsOnlyWhatFits_AndSaysWhyTheRestNeverStarted()
    {
        TrialRecord[] trials = Enumerable.Range(0, 4).Select(index => new TrialRecord(index, [index], 400)).ToArray();
        var session = new SweepSession(trials, [], new SweepSettings(new SearchSection(), new SchedulerSection(), MaxConcurrent: 4, BudgetSteps: 900), MonitorMode.Max, "accuracy");
        Assert.Equal(2, session.Begin().Count);
        session.Receive(new TrialReport(0, TrialReportKind.Ended, 400, 0.5));
        session.Receive(new TrialReport(1, TrialReportKind.Ended, 400, 0.6));
        Assert.True(session.IsFinished);
        Assert.All(session.Trials.Skip(2), trial =>
        {
            Assert.Equal(TrialStatus.NotStarted, trial.Status);
            Assert.Contains("budget of 900 steps", trial.Reason, StringComparison.Ordinal);
        });
        Assert.True(session.CommittedSteps <= 900);
    }

    [Fact]
    public void Session_Stop_LeavesPendingTrialsUnstarted_AndAsksRunningOnesToStop()
    {
        TrialRecord[] trials = Enumerable.Range(0, 4).Select(index => new TrialRecord(index, [index], 1000)).ToArray();
        var session = new SweepSession(trials, [100, 300], Asha(), MonitorMode.Max, "accuracy");
        session.Begin();
        IReadOnlyList<SweepAction> actions = session.RequestStop();
        Assert.Equal([0, 1], actions.OfType<SweepAction.SignalStop>().Select(signal => signal.Trial));
        Assert.False(session.IsFinished);
        // A trial that reaches a rung before it sees the stop is told to stop there.
        var verdict = Assert.IsType<SweepAction.Verdict>(Assert.Single(session.Receive(new TrialReport(0, TrialReportKind.Rung, 100, 0.4, Rung: 0))));
        Assert.False(verdict.Continue);
        session.Receive(new TrialReport(0, TrialReportKind.Ended, 100, 0.4, EndStatus: TrialStatus.Stopped));
        session.Receive(new TrialReport(1, TrialReportKind.Ended, 60, 0.3, EndStatus: TrialStatus.Stopped));
        Assert.True(session.IsFinished);
        Assert.Equal(SweepStatus.Stopped, session.Status);
        Assert.Equal(TrialStatus.NotStarted, session.Trials[3].Status);
    }

    [Fact]
    public void EachVerdict_NamesTheRungOfTheReportItAnswers_SoATrialCanPassOverACopyOfAnEarlierOne()
    {
        TrialRecord[] trials = Enumerable.Range(0, 2).Select(index => new TrialRecord(index, [index], 1000)).ToArray();
        var session = new SweepSession(trials, [100, 300], Asha(), MonitorMode.Max, "accuracy");
        session.Begin();

        SweepAction.Verdict[] atFirstRung = [.. new[] { 0, 1 }.SelectMany(trial => session.Receive(new TrialReport(trial, TrialReportKind.Rung, 100, 0.9 - (0.1 * trial), Rung: 0))).OfType<SweepAction.Verdict>()];
        SweepAction.Verdict goesOn = atFirstRung.First(verdict => verdict.Continue);
        SweepAction.Verdict[] atSecondRung = [.. session.Receive(new TrialReport(goesOn.Trial, TrialReportKind.Rung, 300, 0.95, Rung: 1)).OfType<SweepAction.Verdict>()];

        Assert.Equal(2, atFirstRung.Length);
        Assert.All(atFirstRung, verdict => Assert.Equal(0, verdict.Rung));
        Assert.Equal(1, Assert.Single(atSecondRung).Rung);
    }

    /// <summary>
    /// The heart of reproducible sweeps: however the trials' reports interleave in real time, the session makes the
    /// same decisions, because it judges them in virtual-time order.
    /// </summary>
    [Property(MaxTest = 150)]
    public bool Session_Decisions_DoNotDependOnTheOrderReportsArriveIn(PositiveInt seedA, PositiveInt seedB, PositiveInt trialCount, PositiveInt concurrency)
    {
        int count = 2 + (trialCount.Get % 14);
        int slots = 1 + (concurrency.Get % 4);
        string first = Simulate(count, slots, new Random(seedA.Get));
        string second = Simulate(count, slots, new Random(seedB.Get));
        return first == second;
    }

    [Fact]
    public void Session_WithAsha_StopsSomeTrialsAtRungs_AndRunsTheBestToTheEnd()
    {
        string summary = Simulate(12, 3, new Random(1));
        Assert.Contains("Stopped", summary, StringComparison.Ordinal);
        Assert.Contains("Completed", summary, StringComparison.Ordinal);
    }

    /// <summary>A trial's validation metric: a curve rising with the steps, to a ceiling that depends on the trial.</summary>
    private static double Metric(int trial, long steps) => ((trial * 37 % 11) / 20.0) + (0.3 * (1 - Math.Exp(-steps / 300.0)));

    /// <summary>
    /// Plays a sweep of deterministic trials whose reports arrive in an order drawn from <paramref name="random"/>;
    /// returns every trial's end as text.
    /// </summary>
    private static string Simulate(int count, int slots, Random random)
    {
        const long planned = 2000;
        TrialRecord[] trials = Enumerable.Range(0, count).Select(index => new TrialRecord(index, [index], planned)).ToArray();
        var session = new SweepSession(trials, AshaScheduler.Rungs(100, 3, planned), Asha(concurrent: slots), MonitorMode.Max, "accuracy");
        var due = new List<TrialReport>();
        var rungReached = new Dictionary<int, int>();

        void Carry(IEnumerable<SweepAction> actions)
        {
            foreach (SweepAction action in actions)
            {
                switch (action)
                {
                    case SweepAction.StartTrial start:
                        rungReached[start.Trial] = 0;
                        due.Add(NextReport(start.Trial, 0));
                        break;
                    case SweepAction.Verdict { Continue: true } go:
                        rungReached[go.Trial]++;
                        due.Add(NextReport(go.Trial, rungReached[go.Trial]));
                        break;
                    case SweepAction.Verdict stop:
                        long at = session.Rungs[rungReached[stop.Trial]];
                        due.Add(new TrialReport(stop.Trial, TrialReportKind.Ended, at, Metric(stop.Trial, at), EndStatus: TrialStatus.Stopped, Reason: "SchedulerStopped"));
                        break;
                }
            }
        }

        TrialReport NextReport(int trial, int rung) => rung < session.Rungs.Count
            ? new TrialReport(trial, TrialReportKind.Rung, session.Rungs[rung], Metric(trial, session.Rungs[rung]), Rung: rung)
            : new TrialReport(trial, TrialReportKind.Ended, planned, Metric(trial, planned));

        Carry(session.Begin());
        while (due.Count > 0)
        {
            TrialReport next = due[random.Next(due.Count)];
            due.Remove(next);
            Carry(session.Receive(next));
        }

        Assert.True(session.IsFinished);
        return string.Join(" | ", session.Trials.Select(trial => $"{trial.Index}:{trial.Status}@{trial.StepsDone}:{trial.LastRung}:{trial.Reason}"));
    }
}
