using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Tests;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Durable;
using DurableTrainer.TestSupport;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DurableTrainer.Functions.Tests;

/// <summary>
/// Sweeps under a real (in-process) durable engine: the sweep orchestration, its trials as training orchestrations
/// exchanging events with it, the start-trial and record-sweep activities, and continue-as-new; the executor is a
/// learning-curve fake.
/// </summary>
public class SweepOrchestrationTests
{
    private sealed record Host(DurableTaskTestHost Engine, InMemorySweepStore Store, CurveExecutor Executor, StartSweepUseCase UseCase) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Engine.DisposeAsync();
    }

    private static async Task<Host> StartAsync()
    {
        var store = new InMemorySweepStore();
        var executor = new CurveExecutor();
        var datasets = new FakeDatasetCatalog();
        var models = new FakeModelCatalog();
        var functions = FunctionsComposition.Orchestrations(executor, new RecordingPruner(), services => services
            .AddSingleton<ITrainingJournal>(new RecordingJournal())
            .AddSingleton<ISweepStore>(store)
            .AddSingleton<IDatasetCatalog>(datasets)
            .AddSingleton<IModelCatalog>(models));
        DurableTaskClient? client = null;
        DurableTaskTestHost engine = await DurableTaskTestHost.StartAsync(
            tasks =>
            {
                OrchestrationFunctionTests.RegisterTraining(tasks, functions);
                tasks.AddOrchestratorFunc<SweepInput, SweepOutcome>(DurableTaskNames.SweepOrchestration, (context, _) => TrainingOrchestrationFunctions.RunSweep(context));
                tasks.AddActivityFunc<StartTrialCommand, StartTrialResult>(DurableTaskNames.StartTrial, (_, command) => functions.StartTrial(command, client!));
                tasks.AddActivityFunc<SweepRecordUpdate, int>(DurableTaskNames.RecordSweep, (_, update) => functions.RecordSweep(update));
                tasks.AddActivityFunc<FindLostTrialsCommand, IReadOnlyList<LostTrial>>(DurableTaskNames.FindLostTrials, (_, command) => functions.FindLostTrials(command, client!));
            },
            OrchestrationFunctionTests.HostOptions());
        client = engine.Client;
        var runs = new DurableTaskClientRuns(engine.Client);
        return new Host(engine, store, executor, new StartSweepUseCase(runs, store, TimeProvider.System, datasets, models));
    }

    private static SweepRequest LearningRateGrid(string sweepId, int values, SchedulerSection scheduler, int concurrent, long maxSteps = 160) => new()
    {
        SweepId = sweepId,
        Base = new TrainingRequest
        {
            Training = new TrainingSection(MaxSteps: maxSteps, BatchSize: 16),
            Evaluation = new EvaluationSection(IntervalSteps: 40),
            Execution = new Application.Specification.ExecutionSettings(StepsPerChunk: 10, ActivityFirstRetrySeconds: 0.1),
        },
        Space = [new SweepDimension(
            new SearchDimension("optimizer.learningRate", DistributionKind.Choice, ChoiceCount: values),
            Enumerable.Range(0, values).Select(index => Math.Pow(10, -1 - (index * 4.0 / Math.Max(values - 1, 1))).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray())],
        Search = new SearchSection(SearchMethod.Grid),
        Scheduler = scheduler,
        MaxConcurrent = concurrent,
    };

    private static async Task<(OrchestrationMetadata Done, SweepRecord Record)> RunAsync(Host host, SweepRequest request, int timeoutSeconds = 120)
    {
        StartSweepResult started = await host.UseCase.StartAsync(request);
        Assert.True(started.Started, string.Join("; ", started.Errors));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        OrchestrationMetadata done;
        try
        {
            done = await host.Engine.Client.WaitForInstanceCompletionAsync(started.SweepId!, getInputsAndOutputs: true, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Say where it stuck: how many trials the sweep's record has in each state.
            SweepRecord? stuck = await host.Store.GetRecordAsync(started.SweepId!);
            string states = stuck is null ? "no record" : string.Join(", ", stuck.Trials.GroupBy(trial => trial.Status).Select(group => $"{group.Key} {group.Count()}"));
            throw new Xunit.Sdk.XunitException($"Sweep {started.SweepId} did not end within {timeoutSeconds} s; its trials: {states}.");
        }

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails}");
        return (done, (await host.Store.GetRecordAsync(started.SweepId!))!);
    }

    [Fact]
    public async Task AshaSweep_StopsWeakTrialsAtRungs_RunsTheRestToTheEnd_AndAgreesWithTheDomainAlone()
    {
        await using Host host = await StartAsync();
        SweepRequest request = LearningRateGrid("sweep-asha", 6, new SchedulerSection(SweepSchedulerKind.Asha, GraceSteps: 20, ReductionFactor: 2), concurrent: 2);
        (OrchestrationMetadata done, SweepRecord record) = await RunAsync(host, request);

        SweepOutcome outcome = done.ReadOutputAs<SweepOutcome>()!;
        Assert.Equal("Completed", outcome.Status);
        Assert.Equal([20L, 40, 80], record.Rungs);
        Assert.Contains(record.Trials, trial => trial.Status == "Stopped" && trial.Reason!.Contains("stopped by ASHA at rung", StringComparison.Ordinal));
        Assert.Contains(record.Trials, trial => trial.Status == "Completed" && trial.Steps == 160);
        Assert.All(record.Trials, trial => Assert.Contains(trial.Status, new[] { "Completed", "Stopped" }));

        // The best trial is the completed one whose learning rate the curve favours, and its run is an ordinary run with a model.
        SweepTrialView best = record.Best!;
        double[] rates = request.Space[0].Values!.Select(value => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        int favoured = record.Trials.Where(trial => trial.Status == "Completed").MaxBy(trial => CurveExecutor.Accuracy(rates[trial.Index], 160))!.Index;
        Assert.Equal(favoured, best.Index);
        Assert.Equal($"sweep-asha-t{favoured:D3}", best.RunId.Value);
        OrchestrationMetadata bestRun = (await host.Engine.Client.GetInstanceAsync(best.RunId.Value, getInputsAndOutputs: true))!;
        TrainingOutcome bestOutcome = bestRun.ReadOutputAs<TrainingOutcome>()!;
        Assert.Equal(TrainingOutcomeStatus.Completed, bestOutcome.Status);
        Assert.NotNull(bestOutcome.FinalCheckpoint);

        // A stopped trial's own run says it was stopped by the scheduler, and why.
        SweepTrialView stopped = record.Trials.First(trial => trial.Status == "Stopped");
        TrainingOutcome stoppedOutcome = (await host.Engine.Client.GetInstanceAsync(stopped.RunId.Value, getInputsAndOutputs: true))!.ReadOutputAs<TrainingOutcome>()!;
        Assert.Equal("SchedulerStopped", stoppedOutcome.StopReason);
        Assert.Equal(stopped.Reason, stoppedOutcome.StopDetail);

        // The same decisions as the pure session makes on the same curves.
        Assert.Equal(Expected(request, record), record.Trials.Select(trial => $"{trial.Index}:{trial.Status}@{trial.Steps}"));
    }

    private const int TrialCount = 200;

    [Fact]
    public async Task TwoHundredTrialSweep_ContinuesAsNewSoItsHistoryStaysSmall_AndFinishesEveryTrial()
    {
        await using Host host = await StartAsync();
        var request = LearningRateGrid("sweep-many", TrialCount, new SchedulerSection(), concurrent: 16, maxSteps: 20) with
        {
            Base = LearningRateGrid("x", 1, new SchedulerSection(), 1, maxSteps: 20).Base with { Evaluation = new EvaluationSection(IntervalSteps: 20) },
        };
        (OrchestrationMetadata done, SweepRecord record) = await RunAsync(host, request, timeoutSeconds: 300);

        SweepOutcome outcome = done.ReadOutputAs<SweepOutcome>()!;
        Assert.Equal(TrialCount, outcome.Completed);
        Assert.All(record.Trials, trial => Assert.Equal("Completed", trial.Status));
        SweepProgress progress = done.ReadCustomStatusAs<SweepProgress>()!;
        // 200 end reports at most 100 signals an execution: the sweep handed over to new executions on the way.
        Assert.True(progress.Execution >= 2, $"execution {progress.Execution}");
        // An execution's input carries scalars only: the trials' points and states, not their specifications.
        Assert.DoesNotContain("\"specification\"", done.SerializedInput, StringComparison.OrdinalIgnoreCase);
        Assert.True(done.SerializedInput!.Length < 200 * 400, $"{done.SerializedInput.Length} characters of input");
    }

    [Fact]
    public async Task ATrialTerminatedByHand_EndsFailedAfterTheQuietPeriod_AndItsSlotGoesToTheNextTrial()
    {
        await using Host host = await StartAsync();
        SweepRequest request = LearningRateGrid("sweep-lost", 2, new SchedulerSection(), concurrent: 1, maxSteps: 1_000_000) with { TrialCheckSeconds = 1 };
        StartSweepResult started = await host.UseCase.StartAsync(request);
        Assert.True(started.Started, string.Join("; ", started.Errors));
        await UntilAsync(async () => (await host.Engine.Client.GetInstanceAsync("sweep-lost-t000"))?.RuntimeStatus == OrchestrationRuntimeStatus.Running, "trial 0 running");

        await host.Engine.Client.TerminateInstanceAsync("sweep-lost-t000", "terminated by hand in a test");
        // Without the check the sweep would wait for trial 0's report for ever, with trial 1 never started.
        await UntilAsync(async () => (await host.Engine.Client.GetInstanceAsync("sweep-lost-t001"))?.RuntimeStatus == OrchestrationRuntimeStatus.Running, "trial 1 running");
        await host.Engine.Client.RaiseEventAsync("sweep-lost", Durable.Adapters.SweepEvents.Stop, null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        OrchestrationMetadata done = await host.Engine.Client.WaitForInstanceCompletionAsync("sweep-lost", getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        SweepRecord record = (await host.Store.GetRecordAsync("sweep-lost"))!;
        Assert.Equal(("Failed", "Stopped"), (record.Trials[0].Status, record.Trials[1].Status));
        Assert.Contains("ended Terminated without reporting", record.Trials[0].Reason, StringComparison.Ordinal);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>What the pure session decides for <paramref name="request"/>, with each trial reporting the curve's value.</summary>
    private static IEnumerable<string> Expected(SweepRequest request, SweepRecord record)
    {
        double[] rates = request.Space[0].Values!.Select(value => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        long planned = request.Base.Training!.MaxSteps!.Value;
        TrialRecord[] trials = rates.Select((_, index) => new TrialRecord(index, [index], planned)).ToArray();
        var session = new SweepSession(trials, record.Rungs, request.Settings, MonitorMode.Max, "accuracy");
        var due = new Queue<SweepAction>(session.Begin());
        var reached = new Dictionary<int, int>();
        while (due.Count > 0)
        {
            SweepAction action = due.Dequeue();
            int trial = action.Trial;
            TrialReport report = action switch
            {
                SweepAction.StartTrial => Report(trial, reached[trial] = 0),
                SweepAction.Verdict { Continue: true } => Report(trial, ++reached[trial]),
                _ => Ended(trial, record.Rungs[reached[trial]], TrialStatus.Stopped),
            };
            foreach (SweepAction next in session.Receive(report))
            {
                due.Enqueue(next);
            }
        }

        return session.Trials.Select(trial => $"{trial.Index}:{trial.Status}@{trial.StepsDone}");

        TrialReport Report(int trial, int rung) => rung < record.Rungs.Count
            ? new TrialReport(trial, TrialReportKind.Rung, record.Rungs[rung], CurveExecutor.Accuracy(rates[trial], record.Rungs[rung]), Rung: rung)
            : Ended(trial, planned, TrialStatus.Completed);

        TrialReport Ended(int trial, long steps, TrialStatus status) =>
            new(trial, TrialReportKind.Ended, steps, CurveExecutor.Accuracy(rates[trial], steps), EndStatus: status);
    }
}
