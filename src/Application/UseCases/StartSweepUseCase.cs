using System.Globalization;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Sweeps;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Sweeps;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.UseCases;

/// <summary>The outcome of asking to start a sweep.</summary>
public sealed record StartSweepResult(string? SweepId, IReadOnlyList<ValidationError> Errors, bool Conflict, int Trials = 0)
{
    public bool Started => SweepId is not null && Errors.Count == 0 && !Conflict;
}

/// <summary>
/// Starts a sweep: checks the sweep's own settings, every path of its space, the base run, and every trial it
/// would make (every grid point; every random point and the space's bounds) exactly as a run is checked, then the
/// scheduler against the trials' plans. Every problem is reported at once, by path and rule, and nothing is
/// stored or scheduled unless all is well.
/// </summary>
public sealed class StartSweepUseCase(
    ISweepStarter starter, ISweepStore store, TimeProvider timeProvider, IDatasetCatalog datasets, IModelCatalog models, IRunCheckpoints? runCheckpoints = null)
{
    /// <summary>A sweep id leaves room for the trial suffix (<c>-t999</c>) within a run id's length.</summary>
    public const int MaxSweepIdLength = RunId.MaxLength - 5;

    /// <summary>Past this many, further problems with the trials' points are summarised as a count.</summary>
    public const int MaxPointErrors = 20;

    public async Task<StartSweepResult> StartAsync(SweepRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<ValidationError>();
        AddNamingErrors(request, errors);
        SearchSpace space = new([.. request.Space.Select(dimension => dimension.Dimension)]);
        errors.AddRange(request.Settings.ValidateLimits());
        errors.AddRange(space.Validate(request.Search));
        AddDimensionErrors(request.Space, errors);
        // Trials that start from a run all start from the checkpoint it names now; each is a new run from its weights.
        (TrainingRequest? pinned, _, ValidationError? pinError, bool conflict) = await InitialRunPinning.PinAsync(request.Base, runCheckpoints, cancellationToken);
        if (pinned is null)
        {
            return new StartSweepResult(null, [pinError! with { Field = "base." + pinError.Field }], conflict);
        }

        request = request with { Base = pinned };
        (ValidatedRequest? validBase, IReadOnlyList<ValidationError> baseErrors) = await TrainingRequestValidator.ValidateAsync(request.Base, datasets, models, cancellationToken);
        errors.AddRange(baseErrors.Select(error => error with { Field = "base." + error.Field }));
        if (errors.Count > 0 || validBase is null)
        {
            return Refused(errors);
        }

        // The base's data is pinned to its digest unless the space varies the data itself.
        TrainingRequest pinnedBase = request.Space.Any(dimension => dimension.Dimension.Path.StartsWith("data.", StringComparison.Ordinal))
            ? request.Base
            : request.Base with { Data = validBase.Specification.Data };
        IReadOnlyList<IReadOnlyList<double>> points = space.Points(request.Search);
        long[] planned = await PlanTrialsAsync(request, space, pinnedBase, points, errors, cancellationToken);
        long maximum = planned.Length == 0 ? 0 : planned.Max();
        errors.AddRange(request.Scheduler.Validate(maximum));
        if (errors.Count > 0)
        {
            return Refused(errors);
        }

        string sweepId = request.SweepId ?? NewSweepId();
        if (!await starter.IsFreeAsync(sweepId, cancellationToken))
        {
            return Taken(sweepId);
        }

        SweepInput input = NewSweepInput(sweepId, request, validBase, points, planned, maximum);
        await store.SaveDefinitionAsync(new SweepDefinition(sweepId, pinnedBase, request.Space), cancellationToken);
        await store.SaveRecordAsync(SweepRecords.Initial(input, request.Space), cancellationToken);
        return await starter.TryScheduleAsync(input, cancellationToken)
            ? new StartSweepResult(sweepId, [], Conflict: false, input.Trials.Count)
            : Taken(sweepId);
    }

    private static void AddNamingErrors(SweepRequest request, List<ValidationError> errors)
    {
        if (request.SweepId is { } requested && (!RunId.IsValid(requested) || requested.Length > MaxSweepIdLength))
        {
            errors.Add(new ValidationError("sweepId", $"must be 1 to {MaxSweepIdLength} lower-case letters, digits or inner hyphens"));
        }

        if (request.Base.RunId is not null)
        {
            errors.Add(new ValidationError("base.runId", "must not be given: the sweep names each trial's run"));
        }
    }

    private static void AddDimensionErrors(IReadOnlyList<SweepDimension> space, List<ValidationError> errors)
    {
        foreach (SweepDimension dimension in space)
        {
            if (SweepTrials.PathProblem(dimension.Dimension.Path) is { } problem)
            {
                errors.Add(new ValidationError(dimension.Dimension.Field, problem));
            }
            else if (dimension.Dimension.Kind == DistributionKind.Choice && (dimension.Values?.Count ?? 0) != dimension.Dimension.ChoiceCount)
            {
                errors.Add(new ValidationError(dimension.Dimension.Field, "lists a different number of values than it declares"));
            }
        }
    }

    /// <summary>
    /// Checks every point as a run, and for a random search the space's bounds too (its draws may land anywhere
    /// between them); adds the points' problems, summarised, and returns each trial's planned steps.
    /// </summary>
    private async Task<long[]> PlanTrialsAsync(
        SweepRequest request, SearchSpace space, TrainingRequest pinnedBase, IReadOnlyList<IReadOnlyList<double>> points, List<ValidationError> errors, CancellationToken cancellationToken)
    {
        IEnumerable<IReadOnlyList<double>> checkedAlso = request.Search.Method == SearchMethod.Random ? space.BoundaryPoints() : [];
        var planned = new long[points.Count];
        var pointErrors = new List<ValidationError>();
        int index = 0;
        foreach (IReadOnlyList<double> point in points.Concat(checkedAlso))
        {
            long? steps = await PlanAsync(pinnedBase, request.Space, point, pointErrors, cancellationToken);
            if (index < planned.Length)
            {
                planned[index] = steps ?? 0;
            }

            index++;
        }

        errors.AddRange(Summarised(pointErrors));
        return planned;
    }

    private static SweepInput NewSweepInput(string sweepId, SweepRequest request, ValidatedRequest validBase, IReadOnlyList<IReadOnlyList<double>> points, long[] planned, long maximum)
    {
        IReadOnlyList<long> rungs = request.Scheduler.Rungs(maximum);
        TrialRecord[] trials = points.Select((point, trial) => new TrialRecord(trial, point, planned[trial])).ToArray();
        string metric = Domain.Specification.MonitorMetrics.NameOf(validBase.Specification.Evaluation.ResolvedMetric(validBase.Specification.Data.ResolvedTask()));
        MonitorMode mode = validBase.Specification.Evaluation.ResolvedMode(validBase.Specification.Data.ResolvedTask());
        return new SweepInput(sweepId, request.Settings, trials, rungs, mode, metric);
    }

    /// <summary>Checks one point as a run; returns its planned steps, or null after adding its problems.</summary>
    private async Task<long?> PlanAsync(TrainingRequest pinnedBase, IReadOnlyList<SweepDimension> space, IReadOnlyList<double> point, List<ValidationError> errors, CancellationToken cancellationToken)
    {
        (TrainingRequest? trial, ValidationError? problem) = SweepTrials.Materialize(pinnedBase, space, point, runId: RunId.Parse("sweep-point-check"));
        if (trial is null)
        {
            errors.Add(problem!);
            return null;
        }

        (ValidatedRequest? valid, IReadOnlyList<ValidationError> trialErrors) = await TrainingRequestValidator.ValidateAsync(trial, datasets, models, cancellationToken);
        if (valid is null)
        {
            string at = SweepTrials.Describe(space, point);
            foreach (ValidationError error in trialErrors)
            {
                int culprit = space.ToList().FindIndex(dimension => error.Field.StartsWith(dimension.Dimension.Path, StringComparison.Ordinal));
                errors.Add(culprit >= 0
                    ? new ValidationError(space[culprit].Dimension.Field, $"the value {space[culprit].JsonOf(point[culprit])} gives an invalid run: {error.Field} {error.Rule}")
                    : new ValidationError("space", $"the point {at} gives an invalid run: {error.Field} {error.Rule}"));
            }

            return null;
        }

        int trainExamples = Math.Max(valid.TrainExamples, 1);
        return new PureTrainingService().Plan(valid.Specification, trainExamples, valid.Execution.StepsPerChunk, valid.Execution.ChunkSeconds).TotalSteps;
    }

    private static IEnumerable<ValidationError> Summarised(List<ValidationError> errors)
    {
        ValidationError[] distinct = errors.Distinct().ToArray();
        foreach (ValidationError error in distinct.Take(MaxPointErrors))
        {
            yield return error;
        }

        if (distinct.Length > MaxPointErrors)
        {
            yield return new ValidationError("space", string.Create(CultureInfo.InvariantCulture, $"{distinct.Length - MaxPointErrors} more problems with the trials' points are not listed"));
        }
    }

    private static StartSweepResult Refused(IReadOnlyList<ValidationError> errors) => new(null, errors, Conflict: false);

    private static StartSweepResult Taken(string sweepId) =>
        new(sweepId, [new ValidationError("sweepId", $"a sweep or run named '{sweepId}' already exists")], Conflict: true);

    private string NewSweepId() =>
        $"sweep-{timeProvider.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";
}

/// <summary>
/// Prepares and schedules one trial's run (the start-trial activity): the definition's base with the trial's
/// point, checked as a run is, as a run that reports to its sweep at the rungs. Idempotent: a trial already
/// scheduled counts as started.
/// </summary>
public sealed class StartTrialHandler(ISweepStore store, IDatasetCatalog datasets, IModelCatalog models, ITrainingRunStarter runs)
{
    public async Task<StartTrialResult> StartAsync(StartTrialCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        SweepDefinition? definition = await store.GetDefinitionAsync(command.SweepId, cancellationToken);
        if (definition is null)
        {
            return new StartTrialResult(false, $"the definition of sweep {command.SweepId} is missing from storage");
        }

        RunId runId = SweepRecord.TrialRunId(command.SweepId, command.Trial);
        (TrainingRequest? request, ValidationError? problem) = SweepTrials.Materialize(definition.Base, definition.Space, command.Draws, runId);
        if (request is null)
        {
            return new StartTrialResult(false, problem!.ToString());
        }

        (ValidatedRequest? valid, IReadOnlyList<ValidationError> errors) = await TrainingRequestValidator.ValidateAsync(request, datasets, models, cancellationToken);
        if (valid is null)
        {
            return new StartTrialResult(false, "its run is no longer valid: " + string.Join("; ", errors));
        }

        var input = new TrainingRunInput(runId, valid.Specification, valid.Execution, Trial: new TrialLink(command.SweepId, command.Trial, command.Rungs));
        // False means the run exists already: an earlier attempt of this activity scheduled it.
        await runs.TryScheduleAsync(input, cancellationToken);
        return new StartTrialResult(true);
    }
}
