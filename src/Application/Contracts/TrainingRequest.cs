using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

/// <summary>
/// What a client sends to start a run: an optional run id and the specification's sections, each optional (a
/// missing section, or a missing field in one, takes its default). The sections are the domain's value objects
/// themselves, so a new setting is one property in one section. docs/run-specification.md lists every field.
/// </summary>
public sealed record TrainingRequest
{
    public string? RunId { get; init; }
    public DataSection? Data { get; init; }
    public ModelSection? Model { get; init; }
    public OptimizerSection? Optimizer { get; init; }
    public ScheduleSection? Schedule { get; init; }
    public TrainingSection? Training { get; init; }
    public EvaluationSection? Evaluation { get; init; }
    public StoppingSection? Stopping { get; init; }
    public CheckpointSection? Checkpoints { get; init; }
    public ReplicaSection? Replicas { get; init; }
    public ExecutionSettings? Execution { get; init; }

    /// <summary>The request a validated run stands for: every section present, with the values used.</summary>
    public static TrainingRequest From(RunId runId, TrainingSpecification specification, ExecutionSettings execution)
    {
        ArgumentNullException.ThrowIfNull(specification);
        return new TrainingRequest
        {
            RunId = runId?.Value,
            Data = specification.Data,
            Model = specification.Model,
            Optimizer = specification.Optimizer,
            Schedule = specification.Schedule,
            Training = specification.Training,
            Evaluation = specification.Evaluation,
            Stopping = specification.Stopping,
            Checkpoints = specification.Checkpoints,
            Replicas = specification.Replicas,
            Execution = execution,
        };
    }
}
