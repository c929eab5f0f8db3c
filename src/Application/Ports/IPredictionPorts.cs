using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Ports;

/// <summary>Starts a batch prediction job in whatever engine hosts the orchestration.</summary>
public interface IPredictionJobStarter
{
    /// <summary>Schedules the job; returns false, scheduling nothing, when an instance (job, run or sweep) with that id exists.</summary>
    Task<bool> TryScheduleAsync(PredictionJobInput input, CancellationToken cancellationToken = default);
}

/// <summary>
/// The prediction loop's view of its host: parts, the summary and the manifest are I/O (activities in a durable
/// engine); progress is shown (custom status); the clock is the host's (replay-safe in a durable engine); a long job
/// continues as new.
/// </summary>
public interface IPredictionHost
{
    Task<PredictionPartResult> PredictPartAsync(PredictPartCommand command);

    Task<EvaluationMetrics> SummarizeAsync(SummarizePredictionsCommand command);

    Task WriteManifestAsync(WriteManifestCommand command);

    void Report(PredictionProgress progress);

    /// <summary>Ends this execution and starts the job again from <paramref name="next"/>, with a fresh history.</summary>
    void ContinueAsNew(PredictionJobInput next);

    DateTime UtcNow { get; }
}
