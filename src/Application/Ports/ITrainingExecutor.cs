using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Executes training work: builds models, runs optimizer steps, merges replicas and evaluates, reading and writing
/// checkpoints by reference. Implementations: the TorchSharp executor (real work) and, inside a durable
/// orchestration, a proxy whose every call becomes an activity. Calls must be idempotent: running one twice with
/// the same command writes the same output name.
/// </summary>
public interface ITrainingExecutor
{
    Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default);

    Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default);

    Task<Domain.Training.CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default);

    Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default);
}
