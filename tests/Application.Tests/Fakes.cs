using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Specification;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

/// <summary>
/// A deterministic stand-in for a real executor: loss falls and accuracy rises with the steps it has been asked to
/// run, and every call is recorded. Only for testing the application layer on its own.
/// </summary>
public sealed class ScriptedExecutor : ITrainingExecutor
{
    private readonly Dictionary<CheckpointReference, long> _stepsAt = [];

    /// <summary>Every command in the order it came (shared by replicas' chunks, which the loop starts together).</summary>
    public List<object> Calls { get; } = [];

    public int TrainExamples { get; init; } = 640;

    public Func<ChunkCommand, Exception?> FailChunk { get; init; } = _ => null;

    public Func<EvaluateCommand, Exception?> FailEvaluation { get; init; } = _ => null;

    /// <summary>Checkpoints whose content is "corrupt": reading one throws, as the blob store does on a hash mismatch; writing one repairs it.</summary>
    public HashSet<CheckpointReference> Corrupt { get; } = [];

    /// <summary>Whether chunks measure their output as their command foresees, as the real executor does; off, the loop evaluates by separate calls.</summary>
    public bool MeasuresInChunks { get; init; }

    /// <summary>Awaited by every evaluation before it returns (to hold evaluations in flight); none by default.</summary>
    public Func<EvaluateCommand, Task>? BeforeEvaluationReturns { get; init; }

    /// <summary>Overrides the loss a chunk reports (for divergence tests); null keeps the scripted loss.</summary>
    public Func<ChunkCommand, double?> LossOverride { get; init; } = _ => null;

    public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default)
    {
        Calls.Add(command);
        _stepsAt[command.Output] = 0;
        return Task.FromResult(new InitializationResult(command.Output, TrainExamples, 100, 1234));
    }

    public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
    {
        Calls.Add(command);
        if (Corrupt.Contains(command.Start))
        {
            return Task.FromException<ChunkResult>(new CheckpointCorruptException(command.Start, "its SHA-256 does not match"));
        }

        Corrupt.Remove(command.Output);
        if (FailChunk(command) is { } failure)
        {
            return Task.FromException<ChunkResult>(failure);
        }

        long before = _stepsAt[command.Start];
        _stepsAt[command.Output] = before + command.Steps;
        double loss = LossOverride(command) ?? 2.0 / (1 + before + command.Steps);
        bool measures = MeasuresInChunks;
        return Task.FromResult(new ChunkResult(command.Output, command.Steps, loss, loss, command.Steps * command.Recipe.Training.BatchSize, 0.5)
        {
            Validation = measures && command.Evaluate.Validation ? Measure(command.Output) : null,
            Test = measures && command.Evaluate.Test ? Measure(command.Output) : null,
            // As a durable host's journal grows by each chunk's step records.
            JournalEnd = 100 * Calls.Count,
        });
    }

    public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default)
    {
        Calls.Add(command);
        _stepsAt[command.Output] = command.Replicas.Max(replica => _stepsAt[replica]);
        if (command.MomentumOut is not null)
        {
            _stepsAt[command.MomentumOut] = 0;
        }

        return Task.FromResult(command.Output);
    }

    public async Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default)
    {
        Calls.Add(command);
        if (FailEvaluation(command) is { } failure)
        {
            throw failure;
        }

        EvaluationResult result = Measure(command.Checkpoint);
        if (BeforeEvaluationReturns is { } gate)
        {
            await gate(command);
        }

        return result;
    }

    private EvaluationResult Measure(CheckpointReference checkpoint)
    {
        long steps = _stepsAt[checkpoint];
        return new EvaluationResult(EvaluationMetrics.Classification(0, 1.0 / (1 + steps), Math.Min(0.99, 0.1 + (steps / 100.0)), 100), 0.1);
    }
}

/// <summary>
/// A thread-safe stand-in for an executor whose validation accuracy follows a learning curve set by the recipe's
/// learning rate (best at 1e-3), so that sweeps over it have trials worth stopping. Only for testing sweeps above
/// the executor.
/// </summary>
public sealed class CurveExecutor : ITrainingExecutor
{
    private readonly Dictionary<CheckpointReference, long> _stepsAt = [];
    private readonly Lock _gate = new();

    public int Chunks { get; private set; }

    /// <summary>The accuracy after <paramref name="steps"/> at <paramref name="learningRate"/>.</summary>
    public static double Accuracy(double learningRate, long steps) =>
        Math.Round((0.9 - (0.15 * Math.Abs(Math.Log10(learningRate) + 3))) * (1 - Math.Exp(-steps / 50.0)), 6);

    public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _stepsAt[command.Output] = 0;
        }

        return Task.FromResult(new InitializationResult(command.Output, 640, 100, 1234));
    }

    public Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Chunks++;
            long steps = _stepsAt[command.Start] + command.Steps;
            _stepsAt[command.Output] = steps;
            double loss = 1.0 / (1 + steps);
            return Task.FromResult(new ChunkResult(command.Output, command.Steps, loss, loss, command.Steps * command.Recipe.Training.BatchSize, 0.01));
        }
    }

    public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _stepsAt[command.Output] = command.Replicas.Max(replica => _stepsAt[replica]);
            return Task.FromResult(command.Output);
        }
    }

    public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default)
    {
        long steps;
        lock (_gate)
        {
            steps = _stepsAt[command.Checkpoint];
        }

        double accuracy = Accuracy(command.Recipe.Optimizer.LearningRate, steps);
        return Task.FromResult(new EvaluationResult(EvaluationMetrics.Classification(0, 1 - accuracy, accuracy, 100), 0.01));
    }
}

public sealed class RecordingMonitor : ITrainingMonitor
{
    public List<TrainingProgress> Reports { get; } = [];

    public void Report(TrainingProgress progress) => Reports.Add(progress);
}

public sealed class RecordingRunStarter : ITrainingRunStarter
{
    public List<TrainingRunInput> Scheduled { get; } = [];

    public bool Accept { get; set; } = true;

    public Task<bool> TryScheduleAsync(TrainingRunInput input, CancellationToken cancellationToken = default)
    {
        if (Accept)
        {
            Scheduled.Add(input);
        }

        return Task.FromResult(Accept);
    }

    /// <summary>Runs as scheduled here report Running; <see cref="Statuses"/> overrides that, and anything else does not exist.</summary>
    public Dictionary<string, InstanceRuntimeStatus?> Statuses { get; } = [];

    public Task<InstanceRuntimeStatus?> GetRuntimeStatusAsync(RunId runId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Statuses.TryGetValue(runId.Value, out InstanceRuntimeStatus? status) ? status : Scheduled.Any(input => input.RunId == runId) ? InstanceRuntimeStatus.Running : null);
}

/// <summary>
/// Stops or adjusts at scripted rounds. The loop asks for a scale once before each round, so "asked N times" means
/// round N is running; a stop is requested once the loop has asked more than <see cref="StopAfterAsking"/> times.
/// </summary>
public sealed class ScriptedControl : ITrainingControl
{
    private int _asked;

    public int StopAfterAsking { get; init; } = int.MaxValue;

    public Dictionary<int, double> ScalesAtAsking { get; init; } = [];

    public bool StopRequested => _asked > StopAfterAsking;

    public double? TakeLearningRateScale()
    {
        _asked++;
        return ScalesAtAsking.TryGetValue(_asked, out double scale) ? scale : null;
    }
}

public sealed class RecordingPruner : ICheckpointPruner
{
    public List<CheckpointReference> Pruned { get; } = [];

    // A sweep's trials prune from concurrent activities: List<T> does not take concurrent writers.
    public Task PruneAsync(IReadOnlyList<CheckpointReference> checkpoints, CancellationToken cancellationToken = default)
    {
        lock (Pruned)
        {
            Pruned.AddRange(checkpoints);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A clock that moves forward by a fixed step every time it is read.</summary>
public sealed class SteppingClock(TimeSpan step) : ITrainingClock
{
    private DateTime _now = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public DateTime UtcNow
    {
        get
        {
            _now += step;
            return _now;
        }
    }
}

/// <summary>Records the input a continue-as-new would start the next execution with.</summary>
public sealed class RecordingContinuation : ITrainingContinuation
{
    public TrainingRunInput? Next { get; private set; }

    public void ContinueAsNew(TrainingRunInput next) => Next = next;
}

/// <summary>Keeps every append, so tests can see what was journaled and in how many calls.</summary>
public sealed class RecordingJournal : ITrainingJournal
{
    public List<IReadOnlyList<TrainingJournalRecord>> Appends { get; } = [];

    /// <summary>What each append asked to leave out, in the order of <see cref="Appends"/>.</summary>
    public List<JournalAppendOnce?> Once { get; } = [];

    public IEnumerable<TrainingJournalRecord> Records => Appends.SelectMany(append => append);

    public Task<long> AppendAsync(RunId runId, IReadOnlyList<TrainingJournalRecord> records, JournalAppendOnce? once = null, CancellationToken cancellationToken = default)
    {
        lock (Appends)
        {
            Appends.Add(records);
            Once.Add(once);
            return Task.FromResult((long)Appends.Sum(append => append.Count));
        }
    }
}

/// <summary>An executor that reports per-step metrics, as the TorchSharp executor does.</summary>
public sealed class StepReportingExecutor : ITrainingExecutor
{
    private readonly ScriptedExecutor _inner = new();

    public Task<InitializationResult> InitializeAsync(InitializeCommand command, CancellationToken cancellationToken = default) => _inner.InitializeAsync(command, cancellationToken);

    public async Task<ChunkResult> RunChunkAsync(ChunkCommand command, CancellationToken cancellationToken = default)
    {
        ChunkResult result = await _inner.RunChunkAsync(command, cancellationToken);
        StepMetric[] steps = Enumerable.Range(1, command.Steps)
            .Select(step => new StepMetric((command.ReplicaStepsBefore + step) * command.ReplicaCount, 1.0 / step, 0.001))
            .ToArray();
        return result with { StepMetrics = steps };
    }

    public Task<CheckpointReference> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default) => _inner.MergeAsync(command, cancellationToken);

    public Task<EvaluationResult> EvaluateAsync(EvaluateCommand command, CancellationToken cancellationToken = default) => _inner.EvaluateAsync(command, cancellationToken);
}

/// <summary>
/// A dataset catalog that knows every dataset the data section can name, all of 28x28 grey images in 10 classes;
/// an invalid data section gets the section's own errors.
/// </summary>
public sealed class FakeDatasetCatalog : IDatasetCatalog
{
    public static DataShape Shape { get; } = new([1, 28, 28], 10);

    public List<DataSection> Described { get; } = [];

    public Task<DatasetCheck> CheckAsync(DataSection data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Described.Add(data);
        IReadOnlyList<ValidationError> errors = data.Validate();
        return Task.FromResult(errors.Count > 0 ? new DatasetCheck(null, null, errors) : new DatasetCheck(data.Resolved(), Shape, [], TrainExamples: 640));
    }
}

/// <summary>
/// A model catalog that accepts every model section as it is (or as <see cref="Resolve"/> fills it in), unless
/// <see cref="Errors"/> are given: then it refuses every one with them. It records what it was asked.
/// </summary>
public sealed class FakeModelCatalog : IModelCatalog
{
    public IReadOnlyCollection<string> Architectures { get; init; } = ["mlp", "cnn", "resnet"];

    public IReadOnlyList<ValidationError> Errors { get; init; } = [];

    public Func<ModelSection, ModelSection> Resolve { get; init; } = section => section;

    public List<(ModelSection Model, DataShape Shape)> Checks { get; } = [];

    public Task<ModelCheck> CheckAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default)
    {
        Checks.Add((model, shape));
        return Task.FromResult(Errors.Count > 0 ? ModelCheck.Invalid(Errors) : ModelCheck.Valid(Resolve(model), 0));
    }

    public IReadOnlyList<ValidationError> CheckFile(ReadOnlyMemory<byte> content, string path) => Errors;
}

/// <summary>Orchestration inputs for the loop tests: a validated specification (the given sections, the rest at defaults) and engine settings.</summary>
internal static class TestRuns
{
    public static TrainingRunInput Input(
        ExecutionSettings? execution = null,
        TrainingSection? training = null,
        EvaluationSection? evaluation = null,
        StoppingSection? stopping = null,
        CheckpointSection? checkpoints = null,
        ReplicaSection? replicas = null,
        OptimizerSection? optimizer = null,
        string runId = "run-1") =>
        new(
            RunId.Parse(runId),
            TrainingSpecification.Create(optimizer: optimizer, training: training, evaluation: evaluation, stopping: stopping, checkpoints: checkpoints, replicas: replicas).GetValueOrThrow(),
            execution ?? ExecutionSettings.Default);
}
