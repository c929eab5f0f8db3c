using System.Text.Json;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Domain.Tests;

/// <summary>
/// The sweep session's ASHA decisions against an independent reference (tests/TestSupport/asha_reference.py: Ray
/// Tune's rung rule with numpy's percentile) on learning curves recorded from real training (16 PyTorch MLPs on
/// scikit-learn's digits, Fixtures/digits-learning-curves.json, recorded by tests/TestSupport/record_learning_curves.py).
/// </summary>
public class AshaReferenceTests
{
    private const long Planned = 400;

    private static readonly JsonElement Curves = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "digits-learning-curves.json"))).RootElement.GetProperty("curves");

    [SkippableTheory]
    [InlineData(25, 2, 1)]
    [InlineData(25, 3, 1)]
    [InlineData(25, 2, 3)]
    [InlineData(50, 3, 4)]
    [InlineData(25, 4, 16)]
    public void Decisions_MatchTheReference_OnRecordedLearningCurves(long grace, double eta, int slots)
    {
        TestRequirements.NumPy();
        IReadOnlyList<long> rungs = AshaScheduler.Rungs(grace, eta, Planned);
        Dictionary<long, double>[] curves = [.. Curves.EnumerateArray().Select(curve => curve.GetProperty("curve").EnumerateArray()
            .ToDictionary(point => point.GetProperty("step").GetInt64(), point => point.GetProperty("accuracy").GetDouble()))];

        string[] ours = Play(curves, rungs, eta, slots);
        string[] reference = Reference(rungs, eta, slots);

        Assert.Equal(reference, ours);
        Assert.Contains(ours, end => end.StartsWith("Stopped", StringComparison.Ordinal));
    }

    private static string[] Play(Dictionary<long, double>[] curves, IReadOnlyList<long> rungs, double eta, int slots)
    {
        TrialRecord[] trials = [.. curves.Select((_, index) => new TrialRecord(index, [index], Planned))];
        var settings = new SweepSettings(new SearchSection(), new SchedulerSection(SweepSchedulerKind.Asha, rungs[0], eta), slots);
        var session = new SweepSession(trials, rungs, settings, MonitorMode.Max, "accuracy");
        var due = new Queue<SweepAction>(session.Begin());
        var reached = new Dictionary<int, int>();
        while (due.Count > 0)
        {
            SweepAction action = due.Dequeue();
            int trial = action.Trial;
            int rung = action switch
            {
                SweepAction.StartTrial => reached[trial] = 0,
                SweepAction.Verdict { Continue: true } => ++reached[trial],
                _ => -1,
            };
            TrialReport report = rung < 0
                ? new TrialReport(trial, TrialReportKind.Ended, rungs[reached[trial]], null, EndStatus: TrialStatus.Stopped)
                : rung < rungs.Count
                    ? new TrialReport(trial, TrialReportKind.Rung, rungs[rung], curves[trial][rungs[rung]], Rung: rung)
                    : new TrialReport(trial, TrialReportKind.Ended, Planned, curves[trial][Planned]);
            foreach (SweepAction next in session.Receive(report))
            {
                due.Enqueue(next);
            }
        }

        return [.. session.Trials.Select(trial => $"{trial.Status}@{trial.StepsDone}")];
    }

    private static string[] Reference(IReadOnlyList<long> rungs, double eta, int slots)
    {
        string job = Path.Combine(Path.GetTempPath(), $"asha-job-{Guid.NewGuid():N}.json");
        File.WriteAllText(job, JsonSerializer.Serialize(new
        {
            curves = Curves.EnumerateArray().Select(curve => curve.GetProperty("curve")).ToArray(),
            rungs,
            eta,
            slots,
            planned = Planned,
        }));
        try
        {
            string output = SystemPyTorch.Run(SystemPyTorch.Python, Path.Combine(RepositoryPaths.Root, "tests", "TestSupport", "asha_reference.py"), job);
            return [.. JsonDocument.Parse(output).RootElement.EnumerateArray().Select(end => $"{end.GetProperty("status").GetString()}@{end.GetProperty("steps").GetInt64()}")];
        }
        finally
        {
            File.Delete(job);
        }
    }
}
