using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DurableTrainer.Application.Observability;

/// <summary>
/// The traces and metrics training emits, through .NET's own <see cref="ActivitySource"/> and <see cref="Meter"/>:
/// they cost nothing until a listener (OpenTelemetry, when configuration switches it on) subscribes to
/// <see cref="Name"/>. Tag and instrument names follow OpenTelemetry's conventions.
/// </summary>
public static class TrainingTelemetry
{
    public const string Name = "DurableTrainer.Training";
    public const string RunIdTag = "durabletrainer.run_id";
    public const string CheckpointTag = "durabletrainer.checkpoint";
    public const string ReplicaTag = "durabletrainer.replica";
    public const string ModelTag = "durabletrainer.model";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Steps = Meter.CreateCounter<long>("durabletrainer.training.steps", "{step}", "Optimizer steps run.");

    public static readonly Counter<long> Samples = Meter.CreateCounter<long>("durabletrainer.training.samples", "{sample}", "Training examples consumed.");

    public static readonly Histogram<double> ChunkDuration = Meter.CreateHistogram<double>("durabletrainer.training.chunk.duration", "s", "Time in a chunk's step loop.");

    public static readonly Histogram<double> ChunkLoss = Meter.CreateHistogram<double>("durabletrainer.training.chunk.loss", null, "Mean training loss of a chunk.");

    public static readonly Histogram<double> EvaluationAccuracy = Meter.CreateHistogram<double>("durabletrainer.evaluation.accuracy", null, "Test accuracy of an evaluation.");

    public static readonly Histogram<long> CheckpointSize = Meter.CreateHistogram<long>("durabletrainer.checkpoint.size", "By", "Size of a written checkpoint.");

    /// <summary>Starts a span for one executor operation on a run's checkpoint (null when nobody listens).</summary>
    public static Activity? StartOperation(string operation, Domain.Training.CheckpointReference checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        Activity? activity = Source.StartActivity(operation);
        activity?.SetTag(RunIdTag, checkpoint.RunId.Value);
        activity?.SetTag(CheckpointTag, checkpoint.ToString());
        return activity;
    }

    /// <summary>The state of a logging scope that puts the run id (and what is being done) on every log line.</summary>
    public static RunLogScope LogScope(string runId, string operation) => new(runId, operation);
}

/// <summary>
/// A logging scope's state: structured loggers (JSON console, OpenTelemetry, Application Insights) see the
/// key-value pairs; text loggers print <see cref="ToString"/>.
/// </summary>
public sealed class RunLogScope(string runId, string operation) : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly KeyValuePair<string, object>[] _pairs = [new("RunId", runId), new("Operation", operation)];

    public int Count => _pairs.Length;

    public KeyValuePair<string, object> this[int index] => _pairs[index];

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object>>)_pairs).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"RunId:{_pairs[0].Value} Operation:{_pairs[1].Value}";
}
