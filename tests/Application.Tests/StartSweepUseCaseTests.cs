using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Sweeps;

namespace DurableTrainer.Application.Tests;

/// <summary>Submitting a sweep: what is checked, what is stored and scheduled, and the errors that name the path and the rule.</summary>
public class StartSweepUseCaseTests
{
    private sealed class RecordingSweeps : ISweepStarter, ISweepStore
    {
        public List<SweepInput> Scheduled { get; } = [];
        public List<object> Stored { get; } = [];

        public Task<bool> IsFreeAsync(string sweepId, CancellationToken cancellationToken = default) => Task.FromResult(Scheduled.All(input => input.SweepId != sweepId));

        public Task<bool> TryScheduleAsync(SweepInput input, CancellationToken cancellationToken = default)
        {
            Scheduled.Add(input);
            return Task.FromResult(true);
        }

        public Task SaveDefinitionAsync(SweepDefinition definition, CancellationToken cancellationToken = default)
        {
            Stored.Add(definition);
            return Task.CompletedTask;
        }

        public Task<SweepDefinition?> GetDefinitionAsync(string sweepId, CancellationToken cancellationToken = default) => Task.FromResult(Stored.OfType<SweepDefinition>().LastOrDefault());

        public Task SaveRecordAsync(SweepRecord record, CancellationToken cancellationToken = default)
        {
            Stored.Add(record);
            return Task.CompletedTask;
        }

        public Task<SweepRecord?> GetRecordAsync(string sweepId, CancellationToken cancellationToken = default) => Task.FromResult(Stored.OfType<SweepRecord>().LastOrDefault());
    }

    private static readonly TrainingRequest Base = new() { Training = new TrainingSection(MaxSteps: 1000) };

    private static SweepDimension Choice(string path, params string[] values) =>
        new(new SearchDimension(path, DistributionKind.Choice, ChoiceCount: values.Length), values);

    private static async Task<(StartSweepResult Result, RecordingSweeps Sweeps)> StartAsync(SweepRequest request)
    {
        var sweeps = new RecordingSweeps();
        var useCase = new StartSweepUseCase(sweeps, sweeps, TimeProvider.System, new FakeDatasetCatalog(), new FakeModelCatalog());
        return (await useCase.StartAsync(request), sweeps);
    }

    [Fact]
    public async Task GridWithAsha_IsStoredAndScheduled_WithRungsBelowTheTrialsMaximum()
    {
        var request = new SweepRequest
        {
            SweepId = "grid",
            Base = Base,
            Space = [Choice("optimizer.learningRate", "0.01", "0.001"), Choice("model.parameters.hiddenUnits", "64", "128")],
            Scheduler = new SchedulerSection(SweepSchedulerKind.Asha, GraceSteps: 100, ReductionFactor: 3),
        };

        (StartSweepResult result, RecordingSweeps sweeps) = await StartAsync(request);

        Assert.True(result.Started, string.Join("; ", result.Errors));
        SweepInput input = Assert.Single(sweeps.Scheduled);
        Assert.Equal(4, input.Trials.Count);
        Assert.Equal([100L, 300, 900], input.Rungs);
        Assert.All(input.Trials, trial => Assert.Equal(1000, trial.PlannedSteps));
        Assert.Equal("accuracy", input.Metric);
        SweepRecord record = sweeps.Stored.OfType<SweepRecord>().Single();
        Assert.Equal("grid-t000", record.Trials[0].RunId.Value);
        // Nested loops, the first dimension outermost.
        Assert.Equal(0.01, record.Trials[1].Parameters["optimizer.learningRate"].GetDouble());
        Assert.Equal(128, record.Trials[1].Parameters["model.parameters.hiddenUnits"].GetInt32());
        Assert.Equal(0.001, record.Trials[2].Parameters["optimizer.learningRate"].GetDouble());
        Assert.Equal(64, record.Trials[2].Parameters["model.parameters.hiddenUnits"].GetInt32());
    }

    [Fact]
    public async Task PointThatMakesAnInvalidRun_IsRefusedAtItsPath_WithTheValueAndTheRunsRule()
    {
        (StartSweepResult result, RecordingSweeps sweeps) = await StartAsync(new SweepRequest { Base = Base, Space = [Choice("training.batchSize", "32", "100000")] });

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("space[training.batchSize]", error.Field);
        Assert.Contains("the value 100000 gives an invalid run: training.batchSize must be between 1 and 4096", error.Rule, StringComparison.Ordinal);
        Assert.Empty(sweeps.Scheduled);
        Assert.Empty(sweeps.Stored);
    }

    [Fact]
    public async Task ModelParameterSwitch_TakesTrueAndFalse_AsRequestsDo()
    {
        (StartSweepResult result, RecordingSweeps sweeps) = await StartAsync(new SweepRequest { Base = Base, Space = [Choice("model.parameters.batchNorm", "false", "true")] });

        Assert.True(result.Started, string.Join("; ", result.Errors));
        Assert.Equal(2, sweeps.Scheduled.Single().Trials.Count);
    }

    [Fact]
    public async Task ValueOfTheWrongType_IsRefusedAtItsPath()
    {
        (StartSweepResult result, _) = await StartAsync(new SweepRequest { Base = Base, Space = [Choice("optimizer.learningRate", "\"fast\"")] });

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("space[optimizer.learningRate]", error.Field);
        Assert.Equal("the value \"fast\" is of the wrong type for optimizer.learningRate", error.Rule);
    }

    [Theory]
    [InlineData("optimizer.learningRat", "'optimizer' has no field 'learningRat'")]
    [InlineData("optimiser.learningRate", "the run specification has no field 'optimiser'")]
    [InlineData("runId", "the sweep names each trial's run")]
    [InlineData("optimizer.learningRate.x", "has no fields")]
    [InlineData("model.layers[0]", null)]
    public async Task Path_IsCheckedAgainstTheRequestsOwnFields(string path, string? problem)
    {
        (StartSweepResult result, _) = await StartAsync(new SweepRequest { Base = Base, Space = [Choice(path, "1")] });

        if (problem is null)
        {
            // A well-formed path into a list the base lacks is refused for that reason, not as unknown.
            Assert.Contains(result.Errors, error => error.Field == $"space[{path}]" && error.Rule.Contains("the base has no layers", StringComparison.Ordinal));
            return;
        }

        Assert.Contains(result.Errors, error => error.Field == $"space[{path}]" && error.Rule.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RandomSearch_ChecksTheBoundsOfItsRanges()
    {
        var request = new SweepRequest
        {
            Base = Base,
            Space = [new SweepDimension(new SearchDimension("optimizer.learningRate", DistributionKind.Uniform, Low: -1, High: 0.1))],
            Search = new SearchSection(SearchMethod.Random, Trials: 2, Seed: 3),
        };

        (StartSweepResult result, _) = await StartAsync(request);

        Assert.Contains(result.Errors, error => error.Field == "space[optimizer.learningRate]" && error.Rule.Contains("the value -1 gives an invalid run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GracePeriodPastTheMaximum_IsRefused_NamingTheMaximum()
    {
        var request = new SweepRequest
        {
            Base = Base,
            Space = [Choice("optimizer.learningRate", "0.01")],
            Scheduler = new SchedulerSection(SweepSchedulerKind.Asha, GraceSteps: 5000),
        };

        (StartSweepResult result, _) = await StartAsync(request);

        Assert.Contains(result.Errors, error => error.Field == "scheduler.graceSteps" && error.Rule.Contains("maximum of 1000 steps", StringComparison.Ordinal));
    }
}
