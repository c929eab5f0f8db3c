using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.UseCases;

/// <summary>
/// Pins <c>model.initFrom.run</c> at submission: the checkpoint its choice names now is written into the request
/// (<see cref="InitialWeights.CheckpointName"/>); a request that names no model takes the source run's, as Hugging
/// Face's <c>from_pretrained</c> takes the architecture with the weights, and one without a data section the source
/// run's data. A run that does not exist is a 400 on <c>model.initFrom.run</c>; one without the checkpoint yet a 409.
/// </summary>
public static class InitialRunPinning
{
    private const string RunPath = InitialWeights.Path + ".run";

    /// <summary>The request with its source run pinned (the request itself when it starts from no run), or the one error and whether it is a conflict.</summary>
    public static async Task<(TrainingRequest? Request, ValidationError? Error, bool Conflict)> PinAsync(
        TrainingRequest request, IRunCheckpoints? runs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A malformed initFrom is the validator's to report, with every other error of the request.
        if (request.Model is not { InitFrom: { Run: { } runText } init } given || init.Validate().Count > 0)
        {
            return (request, null, false);
        }

        if (runs is null)
        {
            return (null, new ValidationError(RunPath, "cannot be used here: this host cannot look runs up; start from a weights file (initFrom.file) instead"), false);
        }

        RunCheckpointLookup found = await runs.FindAsync(RunId.Parse(runText), init.Choice(), cancellationToken);
        switch (found.State)
        {
            case RunCheckpointState.NoSuchRun:
                return (null, new ValidationError(RunPath, $"no run is named '{runText}'"), false);
            case RunCheckpointState.NoCheckpoint:
                return (null, new ValidationError(RunPath,
                    $"run '{runText}' is {found.RunStatus} and has no {SpecificationNames.Of(init.Choice())} checkpoint yet; start from it once it has ended"), true);
        }

        if (init.CheckpointName is { } named && named != found.Checkpoint!.Name)
        {
            return (null, new ValidationError(InitialWeights.Path + ".checkpointName",
                $"names {named}, but run '{runText}''s {SpecificationNames.Of(init.Choice())} checkpoint is {found.Checkpoint.Name}; leave it out"), false);
        }

        InitialWeights pinnedWeights = init with { CheckpointName = found.Checkpoint!.Name };
        ModelSection model = given.IsUnspecified()
            ? (found.Recipe!.Model with { InitFrom = null, Freeze = null }).WithInitAndFreezeOf(given)
            : given;
        return (request with { Model = model with { InitFrom = pinnedWeights }, Data = request.Data ?? found.Recipe!.Data }, null, false);
    }
}
