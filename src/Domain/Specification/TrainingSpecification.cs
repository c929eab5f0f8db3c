using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// What a run is, in sections: the data, the model, how it is optimized and scheduled, how long and on what
/// batches it trains, how it is evaluated, what stops it, which checkpoints it keeps, and how many replicas train
/// it. Each section validates itself; <see cref="Create"/> adds the rules that span sections, resolves the
/// defaults that depend on other values, and reports every broken rule at once by its JSON path. Engine settings
/// (chunk length, executions, retries) are not part of it: they belong to the application.
/// </summary>
public sealed record TrainingSpecification(
    DataSection Data,
    ModelSection Model,
    OptimizerSection Optimizer,
    ScheduleSection Schedule,
    TrainingSection Training,
    EvaluationSection Evaluation,
    StoppingSection Stopping,
    CheckpointSection Checkpoints,
    ReplicaSection Replicas)
{
    /// <summary>Every section at its defaults: the main job.</summary>
    public static TrainingSpecification Default { get; } = Create().GetValueOrThrow();

    public static ValidationResult<TrainingSpecification> Create(
        DataSection? data = null,
        ModelSection? model = null,
        OptimizerSection? optimizer = null,
        ScheduleSection? schedule = null,
        TrainingSection? training = null,
        EvaluationSection? evaluation = null,
        StoppingSection? stopping = null,
        CheckpointSection? checkpoints = null,
        ReplicaSection? replicas = null)
    {
        data ??= new DataSection();
        var specification = new TrainingSpecification(
            data,
            model ?? new ModelSection(),
            optimizer ?? DefaultRecipe.OptimizerFor(data),
            schedule ?? DefaultRecipe.ScheduleFor(data),
            training ?? DefaultRecipe.TrainingFor(data),
            evaluation ?? new EvaluationSection(),
            stopping ?? new StoppingSection(),
            checkpoints ?? new CheckpointSection(),
            replicas ?? new ReplicaSection());
        return specification.Validated();
    }

    /// <summary>This specification checked again, with its dependent defaults resolved (so the stored input says what was used).</summary>
    public ValidationResult<TrainingSpecification> Validated()
    {
        var errors = new List<ValidationError>();
        errors.AddRange(Data.Validate());
        errors.AddRange(Model.Validate());
        errors.AddRange(Optimizer.Validate());
        errors.AddRange(Schedule.Validate());
        errors.AddRange(Training.Validate());
        errors.AddRange(Evaluation.Validate());
        errors.AddRange(Stopping.Validate());
        errors.AddRange(Checkpoints.Validate());
        errors.AddRange(Replicas.Validate());
        errors.AddRange(CrossSectionErrors());
        if (errors.Count > 0)
        {
            return ValidationResult<TrainingSpecification>.Failure(errors);
        }

        LearningTask task = Data.ResolvedTask();
        return ValidationResult<TrainingSpecification>.Success(this with
        {
            Data = Data.Resolved(),
            Model = Model.Resolved(),
            Evaluation = Evaluation with { Metric = Evaluation.ResolvedMetric(task), Mode = Evaluation.ResolvedMode(task) },
            Stopping = Stopping with { MinLearningRate = Stopping.ResolvedMinLearningRate(Optimizer.LearningRate) },
        });
    }

    private IEnumerable<ValidationError> CrossSectionErrors()
    {
        if (Training.MaxSteps is { } maxSteps && Replicas.Count is >= 1 and <= ReplicaSection.MaxReplicas && maxSteps < Replicas.Count)
        {
            yield return new ValidationError("training.maxSteps", "must be at least replicas.count (every replica runs at least one step)");
        }

        if (Stopping.MinLearningRate is { } min && double.IsFinite(min) && Optimizer.LearningRate > 0 && min > Optimizer.LearningRate)
        {
            yield return new ValidationError("stopping.minLearningRate", "must be at least 0 and at most optimizer.learningRate");
        }

        LearningTask task = Data.ResolvedTask();
        MonitorMetric metric = Evaluation.ResolvedMetric(task);
        bool knownMetric = Enum.IsDefined(metric) && Enum.IsDefined(task);
        if (knownMetric && !MonitorMetrics.AppliesTo(metric, task))
        {
            yield return new ValidationError("evaluation.metric",
                $"must be one of {MonitorMetrics.NamesFor(task)} for the {SpecificationNames.Of(task)} task (data.task)");
        }

        if (Stopping.TargetMetric is { } target && double.IsFinite(target) && knownMetric && MonitorMetrics.IsFraction(metric) && !(target > 0 && target <= 1))
        {
            yield return new ValidationError("stopping.targetMetric", $"must be greater than 0 and at most 1 when evaluation.metric is {MonitorMetrics.NameOf(metric)}");
        }
    }
}
