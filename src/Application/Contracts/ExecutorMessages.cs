using System.Text.Json.Serialization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

// The messages exchanged with an ITrainingExecutor. They are flat and small on purpose: in the durable host they are
// activity inputs and outputs, stored in orchestration history, so they carry references and scalars, never tensors.

/// <summary>
/// What the executor needs to build, train and evaluate a model: the specification's data, model, optimizer,
/// schedule and training sections, as validated at submission.
/// </summary>
public sealed record TrainingRecipe(
    DataSection Data,
    ModelSection Model,
    OptimizerSection Optimizer,
    ScheduleSection Schedule,
    TrainingSection Training)
{
    public static TrainingRecipe From(TrainingSpecification specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
        return new(specification.Data, specification.Model, specification.Optimizer, specification.Schedule, specification.Training);
    }
}

public sealed record InitializeCommand(CheckpointReference Output, TrainingRecipe Recipe);

/// <summary>
/// The run's first checkpoint and what the data and model came to; <see cref="ReplicaStepsDone"/> is the steps per
/// replica that checkpoint already holds (those of the run it continues; 0 for a run that starts afresh).
/// </summary>
public sealed record InitializationResult(CheckpointReference Checkpoint, int TrainExamples, int TestExamples, long Parameters, int ValidationExamples = 0, long ReplicaStepsDone = 0);

/// <summary>
/// Run <see cref="Steps"/> optimizer steps on replica <see cref="Replica"/> of <see cref="ReplicaCount"/>, starting from
/// <see cref="Start"/> (which already holds <see cref="ReplicaStepsBefore"/> steps of this replica's data cursor), and
/// write the result to <see cref="Output"/>. The learning rate at each step is the recipe's rate, times the
/// schedule's factor at the global step (replica step times replica count, out of <see cref="TotalSteps"/>), times
/// <see cref="LearningRateScale"/>. <see cref="Evaluate"/> asks for the output to be measured before the chunk
/// returns (while the model is in memory), as the loop foresees it will want: the result carries the measurements.
/// </summary>
public sealed record ChunkCommand(
    CheckpointReference Start,
    CheckpointReference Output,
    int Replica,
    int ReplicaCount,
    long ReplicaStepsBefore,
    int Steps,
    double LearningRateScale,
    TrainingRecipe Recipe,
    long TotalSteps = 0)
{
    /// <summary>The round the chunk belongs to (its step records are filed under it); <see cref="Output"/>'s name also says it, for people.</summary>
    public long Round { get; init; }

    public ForeseenEvaluations Evaluate { get; init; } = ForeseenEvaluations.None;

    /// <summary>
    /// Where the run's journal ended before the chunk was scheduled: step records of the chunk found after it were
    /// written by an earlier run of this very chunk, so the durable host leaves them out (see <see cref="Ports.JournalAppendOnce"/>).
    /// </summary>
    public long JournalFrom { get; init; }
}

/// <summary><see cref="StepMetrics"/>: each step's loss and learning rate; the durable host journals them and drops them from history.</summary>
public sealed record ChunkResult(CheckpointReference Checkpoint, int Steps, double MeanLoss, double LastLoss, long Samples, double Seconds, IReadOnlyList<StepMetric>? StepMetrics = null)
{
    /// <summary>Where the chunk's wall time went beyond its step loop (<see cref="Seconds"/>); kept in history for breakdowns.</summary>
    public ExecutorTiming? Timing { get; init; }

    /// <summary>The output measured on the validation split, when the command asked for it and the executor measures in chunks.</summary>
    public EvaluationResult? Validation { get; init; }

    /// <summary>The output measured on the test split, likewise.</summary>
    public EvaluationResult? Test { get; init; }

    /// <summary>Where the run's journal ended after the chunk's step records (the durable host journals them); 0 when nothing was journaled.</summary>
    public long JournalEnd { get; init; }
}

/// <summary>
/// How long an executor call took as a whole, inside the process that ran it, and how much of that was checkpoint
/// transfer. What is left after the work itself (the step loop, the forward passes) and the transfers is set-up:
/// data lookup, model build, (de)serialisation. Durations in seconds.
/// </summary>
public sealed record ExecutorTiming(double WallSeconds, double CheckpointReadSeconds, double CheckpointWriteSeconds);

/// <summary>
/// Merge the replicas into <see cref="Output"/> as <see cref="Merge"/> says. <see cref="MergeStrategy.Average"/> averages their parameters;
/// <see cref="MergeStrategy.OuterNesterov"/> takes an outer SGD step with Nesterov momentum from the previous global
/// model <see cref="Start"/> along the averaged change, reading the momentum buffer from <see cref="MomentumIn"/>
/// (none on the first round) and writing it to <see cref="MomentumOut"/>.
/// </summary>
public sealed record MergeCommand(
    IReadOnlyList<CheckpointReference> Replicas,
    CheckpointReference Output,
    TrainingRecipe Recipe,
    ReplicaSection Merge,
    CheckpointReference? Start = null,
    CheckpointReference? MomentumIn = null,
    CheckpointReference? MomentumOut = null);

/// <summary>Measure <see cref="Checkpoint"/> on <see cref="Split"/>: validation while training, test once it has ended.</summary>
public sealed record EvaluateCommand(CheckpointReference Checkpoint, TrainingRecipe Recipe, EvaluationSplit Split = EvaluationSplit.Validation);

/// <summary>What an evaluation measured; the executor does not know the run's step, so <c>Metrics.StepsDone</c> is 0 until the loop sets it.</summary>
public sealed record EvaluationResult(EvaluationMetrics Metrics, double Seconds)
{
    /// <summary>Where the evaluation's wall time went beyond its forward passes (<see cref="Seconds"/>).</summary>
    public ExecutorTiming? Timing { get; init; }

    [JsonIgnore]
    public double Loss => Metrics.Loss;

    /// <summary>The accuracy, NaN for a task without one.</summary>
    [JsonIgnore]
    public double Accuracy => Metrics.Value(MonitorMetric.Accuracy);

    [JsonIgnore]
    public int Examples => Metrics.Examples;
}
