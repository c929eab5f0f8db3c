using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.UseCases;

/// <summary>
/// Pins <c>model.initFrom.run</c> at submission: the checkpoint its choice names now is written into the request
/// (<see cref="InitialWeights.CheckpointName"/>), and every section the request leaves out is the source run's: its
/// model (as Hugging Face's <c>from_pretrained</c> brings the architecture with the weights), data and recipe. A run
/// that does not exist is a 400 on <c>model.initFrom.run</c>; one without the checkpoint yet a 409. Once the request
/// is validated, a run whose data and recipe are the source's in all but their length continues the source
/// (<see cref="MarkContinuation"/>).
/// </summary>
public static class InitialRunPinning
{
    private const string RunPath = InitialWeights.Path + ".run";

    /// <summary>
    /// The request with its source run pinned and its missing sections filled from the source's (the request itself
    /// when it starts from no run), with the source's specification; or the one error and whether it is a conflict.
    /// </summary>
    public static async Task<(TrainingRequest? Request, TrainingSpecification? Source, ValidationError? Error, bool Conflict)> PinAsync(
        TrainingRequest request, IRunCheckpoints? runs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A malformed initFrom is the validator's to report, with every other error of the request.
        if (request.Model is not { InitFrom: { Run: { } runText } init } given || init.Validate().Count > 0)
        {
            return (request, null, null, false);
        }

        if (runs is null)
        {
            return (null, null, new ValidationError(RunPath, "cannot be used here: this host cannot look runs up; start from a weights file (initFrom.file) instead"), false);
        }

        RunCheckpointLookup found = await runs.FindAsync(RunId.Parse(runText), init.Choice(), cancellationToken);
        switch (found.State)
        {
            case RunCheckpointState.NoSuchRun:
                return (null, null, new ValidationError(RunPath, $"no run is named '{runText}'"), false);
            case RunCheckpointState.NoCheckpoint:
                return (null, null, new ValidationError(RunPath,
                    $"run '{runText}' is {found.RunStatus} and has no {SpecificationNames.Of(init.Choice())} checkpoint yet; start from it once it has ended"), true);
        }

        TrainingSpecification source = found.Specification!;
        if (init.CheckpointName is { } named && named != found.Checkpoint!.Name)
        {
            return (null, null, new ValidationError(InitialWeights.Path + ".checkpointName",
                $"names {named}, but run '{runText}''s {SpecificationNames.Of(init.Choice())} checkpoint is {found.Checkpoint.Name}; leave it out"), false);
        }

        // The server decides whether the run continues its source, once the request is validated.
        InitialWeights pinnedWeights = init with { CheckpointName = found.Checkpoint!.Name, Continues = null };
        ModelSection model = given.IsUnspecified() ? (source.Model with { InitFrom = null, Freeze = null }).WithInitAndFreezeOf(given) : given;
        TrainingRequest pinned = request with
        {
            Model = model with { InitFrom = pinnedWeights },
            Data = request.Data ?? source.Data,
            Optimizer = request.Optimizer ?? source.Optimizer,
            Schedule = request.Schedule ?? source.Schedule,
            Training = request.Training ?? source.Training,
            Evaluation = request.Evaluation ?? source.Evaluation,
            Stopping = request.Stopping ?? source.Stopping,
            Checkpoints = request.Checkpoints ?? source.Checkpoints,
            Replicas = request.Replicas ?? source.Replicas,
        };
        return (pinned, source, null, false);
    }

    /// <summary>
    /// <paramref name="run"/>, marked as continuing <paramref name="source"/> when it trains the same data with the same
    /// model, freeze, optimizer, schedule, training settings (all but <c>maxSteps</c> and <c>epochs</c>) and replicas,
    /// from the source's final checkpoint, with an average merge (the outer Nesterov merge's momentum is not carried).
    /// Otherwise it is a new run that starts from the source's weights.
    /// </summary>
    public static TrainingSpecification MarkContinuation(TrainingSpecification run, TrainingSpecification? source)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (source is null || run.Model.InitFrom is not { Run: not null } init || init.Choice() != CheckpointChoice.Final || init.Reinitialize is not null)
        {
            return run;
        }

        bool continues = Same(run.Data, source.Data)
            && Same(run.Model with { InitFrom = null }, source.Model with { InitFrom = null })
            && Same(run.Optimizer, source.Optimizer)
            && Same(run.Schedule, source.Schedule)
            && Same(run.Training with { MaxSteps = null, Epochs = 0 }, source.Training with { MaxSteps = null, Epochs = 0 })
            && Same(run.Replicas, source.Replicas)
            && (run.Replicas.Count == 1 || run.Replicas.Merge == MergeStrategy.Average);
        return continues ? run with { Model = run.Model with { InitFrom = init with { Continues = true } } } : run;
    }

    private static bool Same<T>(T a, T b) =>
        JsonSerializer.Serialize(a, SpecificationJson.Options) == JsonSerializer.Serialize(b, SpecificationJson.Options);
}
