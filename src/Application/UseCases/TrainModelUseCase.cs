using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.UseCases;

/// <summary>The outcome of asking to start a run.</summary>
public sealed record StartTrainingResult(RunId? RunId, IReadOnlyList<ValidationError> Errors, bool Conflict)
{
    public bool Started => RunId is not null && Errors.Count == 0 && !Conflict;
}

/// <summary>
/// Starts a training run: pins the run a new one starts from (<c>model.initFrom.run</c>), validates the request
/// (every error at once, the model against the data's shape), fixes the run id, and hands the typed specification to
/// the run starter. Nothing is scheduled when anything is wrong.
/// </summary>
public sealed class TrainModelUseCase(
    ITrainingRunStarter starter, TimeProvider timeProvider, IDatasetCatalog datasets, IModelCatalog models, IRunCheckpoints? runCheckpoints = null)
{
    public async Task<StartTrainingResult> StartAsync(TrainingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        (TrainingRequest? pinned, TrainingSpecification? source, ValidationError? pinError, bool conflict) = await InitialRunPinning.PinAsync(request, runCheckpoints, cancellationToken);
        if (pinned is null)
        {
            return new StartTrainingResult(null, [pinError!], conflict);
        }

        request = pinned;
        (ValidatedRequest? validated, IReadOnlyList<ValidationError> errors) = await TrainingRequestValidator.ValidateAsync(request, datasets, models, cancellationToken);
        if (validated is null)
        {
            return new StartTrainingResult(null, errors, Conflict: false);
        }

        // The validator has checked a named id against the rule (as the field runId), so parsing it cannot fail here.
        RunId runId = request.RunId is { } named ? RunId.Parse(named) : NewRunId();
        var input = new TrainingRunInput(runId, InitialRunPinning.MarkContinuation(validated.Specification, source), validated.Execution);
        bool scheduled = await starter.TryScheduleAsync(input, cancellationToken);
        return scheduled
            ? new StartTrainingResult(runId, [], Conflict: false)
            : new StartTrainingResult(runId, [new ValidationError("runId", $"a run named '{runId}' already exists")], Conflict: true);
    }

    private RunId NewRunId() =>
        RunId.Parse($"run-{timeProvider.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
}
