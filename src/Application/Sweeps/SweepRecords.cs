using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Sweeps;

namespace DurableTrainer.Application.Sweeps;

/// <summary>Builds a sweep's status document at submission and folds the orchestration's updates into it.</summary>
public static class SweepRecords
{
    public static SweepRecord Initial(SweepInput input, IReadOnlyList<SweepDimension> space)
    {
        ArgumentNullException.ThrowIfNull(input);
        SchedulerSection scheduler = input.Settings.Scheduler;
        string describedScheduler = Domain.Sweeps.Schedulers.TrialSchedulers.For(scheduler.Kind).Describe(scheduler);
        return new SweepRecord(
            input.SweepId,
            SweepStatus.Running.ToString(),
            input.Metric,
            SpecificationNames.Of(input.Mode),
            describedScheduler,
            input.Rungs,
            input.Settings.MaxConcurrent,
            input.Settings.BudgetSteps,
            StepsDone: 0,
            CommittedSteps: 0,
            input.Trials.Select(trial => View(input.SweepId, trial, SweepTrials.Parameters(space, trial.Draws))).ToArray(),
            BestTrial: null);
    }

    /// <summary>The record with <paramref name="update"/> applied: the header replaced, the changed trials rewritten (their parameters kept).</summary>
    public static SweepRecord Apply(SweepRecord record, SweepRecordUpdate update)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(update);
        SweepTrialView[] trials = [.. record.Trials];
        foreach (TrialRecord changed in update.Changed)
        {
            if (changed.Index >= 0 && changed.Index < trials.Length)
            {
                trials[changed.Index] = View(record.SweepId, changed, trials[changed.Index].Parameters);
            }
        }

        return record with
        {
            Status = update.Status,
            StepsDone = update.StepsDone,
            CommittedSteps = update.CommittedSteps,
            BestTrial = update.BestTrial,
            Trials = trials,
        };
    }

    private static SweepTrialView View(string sweepId, TrialRecord trial, IReadOnlyDictionary<string, System.Text.Json.JsonElement> parameters) => new(
        trial.Index,
        SweepRecord.TrialRunId(sweepId, trial.Index),
        parameters,
        trial.Stopping ? "Stopping" : trial.Status.ToString(),
        trial.StepsDone,
        trial.PlannedSteps,
        trial.LastRung,
        trial.LastMetric,
        trial.Reason,
        trial.TestMetric);
}

/// <summary>Folds the sweep orchestration's updates into its status document (the record-sweep activity).</summary>
public sealed class RecordSweepHandler(Ports.ISweepStore store)
{
    public async Task<int> RecordAsync(SweepRecordUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        SweepRecord record = await store.GetRecordAsync(update.SweepId, cancellationToken)
            ?? throw new InvalidOperationException($"The status document of sweep {update.SweepId} is missing from storage.");
        await store.SaveRecordAsync(SweepRecords.Apply(record, update), cancellationToken);
        return update.Changed.Count;
    }
}
