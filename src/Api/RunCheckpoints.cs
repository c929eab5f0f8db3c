using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Api;

/// <summary>A finished run's checkpoint as routes that use a model take it: the one it ended on, or its best, with the recipe that reads it.</summary>
public static class RunCheckpoints
{
    /// <summary>The checkpoint and recipe; null while the run has no such checkpoint (running, failed early, or never better than its start).</summary>
    public static (CheckpointReference Checkpoint, TrainingRecipe Recipe)? Find(RunId id, RunRecord run, CheckpointChoice which)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(run);
        TrainingOutcome? outcome = RunRecordPayloads.Read<TrainingOutcome>(run.SerializedOutput);
        string? checkpoint = which == CheckpointChoice.Best ? outcome?.BestCheckpoint : outcome?.FinalCheckpoint;
        TrainingRunInput? input = RunRecordPayloads.Read<TrainingRunInput>(run.SerializedInput);
        return checkpoint is null || input is null || !checkpoint.StartsWith(id.Value + "/", StringComparison.Ordinal)
            ? null
            : (new CheckpointReference(id, checkpoint[(id.Value.Length + 1)..]), TrainingRecipe.From(input.Specification));
    }

    /// <summary>409: the run exists but has no model to use yet.</summary>
    public static ApiResult NoModel(RunId id, RunRecord run, CheckpointChoice which, string use)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(run);
        return new ApiResult(409, new
        {
            type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.10",
            title = $"The run has no model to {use} yet.",
            status = 409,
            detail = $"Run '{id}' is {run.RuntimeStatus} and has no {Domain.Specification.SpecificationNames.Of(which)} checkpoint; try again once it has ended.",
        }, ContentType: ProblemDetailsFactory.ContentType);
    }
}
