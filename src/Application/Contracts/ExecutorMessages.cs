using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

// The messages exchanged with an ITrainingExecutor. They are flat and small on purpose: in the durable host they are
// activity inputs and outputs, stored in orchestration history, so they carry references and scalars, never tensors.

/// <summary>What the executor needs to know to build, train and evaluate a model.</summary>
public sealed record TrainingRecipe(
    ModelArchitecture Model,
    int HiddenUnits,
    OptimizerKind Optimizer,
    double LearningRate,
    double Momentum,
    double WeightDecay,
    int BatchSize,
    int Seed,
    DatasetKind Dataset)
{
    public static TrainingRecipe From(Hyperparameters hyperparameters) => new(
        hyperparameters.Model,
        hyperparameters.HiddenUnits,
        hyperparameters.Optimizer,
        hyperparameters.LearningRate,
        hyperparameters.Momentum,
        hyperparameters.WeightDecay,
        hyperparameters.BatchSize,
        hyperparameters.Seed,
        hyperparameters.Dataset);
}

public sealed record InitializeCommand(CheckpointReference Output, TrainingRecipe Recipe);

public sealed record InitializationResult(CheckpointReference Checkpoint, int TrainExamples, int TestExamples, long Parameters);

/// <summary>
/// Run <see cref="Steps"/> optimizer steps on replica <see cref="Replica"/> of <see cref="ReplicaCount"/>, starting from
/// <see cref="Start"/> (which already holds <see cref="ReplicaStepsBefore"/> steps of this replica's data cursor), and
/// write the result to <see cref="Output"/>.
/// </summary>
public sealed record ChunkCommand(
    CheckpointReference Start,
    CheckpointReference Output,
    int Replica,
    int ReplicaCount,
    long ReplicaStepsBefore,
    int Steps,
    double LearningRateScale,
    TrainingRecipe Recipe);

public sealed record ChunkResult(CheckpointReference Checkpoint, int Steps, double MeanLoss, double LastLoss, long Samples, double Seconds);

/// <summary>Average the replicas' parameters into <see cref="Output"/>.</summary>
public sealed record MergeCommand(IReadOnlyList<CheckpointReference> Replicas, CheckpointReference Output, TrainingRecipe Recipe);

public sealed record EvaluateCommand(CheckpointReference Checkpoint, TrainingRecipe Recipe);

public sealed record EvaluationResult(double Loss, double Accuracy, int Examples, double Seconds);
