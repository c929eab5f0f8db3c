using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Observability;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using Microsoft.Extensions.Logging;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>The executor's traces, metrics and log scopes, seen through .NET's own listeners (what OpenTelemetry subscribes to).</summary>
public sealed class ExecutorTelemetryTests : IDisposable
{
    private static readonly TrainingRecipe Mlp = TestRecipes.Recipe(TestRecipes.Architecture("mlp", ("hiddenUnits", 16)), training: new TrainingSection(BatchSize: 32, Seed: 3));

    private readonly ConcurrentBag<Activity> _spans = [];
    private readonly ConcurrentBag<(string Instrument, double Value, string? RunId)> _measurements = [];
    private readonly ActivityListener _activityListener;
    private readonly MeterListener _meterListener = new();
    private readonly ScopeRecordingLogger _logger = new();
    private readonly DatasetProvider _datasets;
    private readonly TorchSharpTrainingExecutor _executor;

    public ExecutorTelemetryTests()
    {
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Add,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TrainingTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meterListener.Start();
        var options = new TorchSharpExecutorOptions { Threads = 1, SyntheticTrainExamples = 512, SyntheticTestExamples = 128 };
        _datasets = new DatasetProvider(options);
        _executor = new TorchSharpTrainingExecutor(new InMemoryCheckpointStore(), _datasets, options, _logger);
    }

    public void Dispose()
    {
        _activityListener.Dispose();
        _meterListener.Dispose();
        _datasets.Dispose();
    }

    [Fact]
    public async Task Chunk_EmitsASpanTaggedWithTheRunAndCountsItsStepsAndSamples()
    {
        var start = (await _executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("otel-run")), Mlp))).Checkpoint;
        await _executor.RunChunkAsync(new ChunkCommand(start, new CheckpointReference(RunId.Parse("otel-run"), "round-000001/replica-00"), 0, 1, 0, 7, 1.0, Mlp));
        await _executor.EvaluateAsync(new EvaluateCommand(new CheckpointReference(RunId.Parse("otel-run"), "round-000001/replica-00"), Mlp));

        Activity chunk = Assert.Single(_spans, span => span.OperationName == "RunChunk" && (string?)span.GetTagItem(TrainingTelemetry.RunIdTag) == "otel-run");
        Assert.Equal("otel-run/round-000001/replica-00", chunk.GetTagItem(TrainingTelemetry.CheckpointTag));
        Assert.Equal(7, chunk.GetTagItem("durabletrainer.steps"));
        Assert.Contains(_spans, span => span.OperationName == "InitializeTraining" && (string?)span.GetTagItem(TrainingTelemetry.RunIdTag) == "otel-run");
        Assert.Contains(_spans, span => span.OperationName == "EvaluateCheckpoint" && (string?)span.GetTagItem(TrainingTelemetry.RunIdTag) == "otel-run");
        Assert.Equal(7, Sum("durabletrainer.training.steps"));
        Assert.Equal(7 * 32, Sum("durabletrainer.training.samples"));
        Assert.Contains(_measurements, m => m.Instrument == "durabletrainer.evaluation.accuracy" && m.RunId == "otel-run" && m.Value is >= 0 and <= 1);
    }

    [Fact]
    public async Task EveryLogLineOfAnOperation_CarriesTheRunIdInItsScope()
    {
        var start = (await _executor.InitializeAsync(new InitializeCommand(CheckpointReference.Initial(RunId.Parse("scoped-run")), Mlp))).Checkpoint;
        await _executor.RunChunkAsync(new ChunkCommand(start, new CheckpointReference(RunId.Parse("scoped-run"), "c"), 0, 1, 0, 2, 1.0, Mlp));

        var chunkLines = _logger.Lines.Where(line => line.Message.StartsWith("Chunk scoped-run/c", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(chunkLines);
        Assert.All(chunkLines, line => Assert.Equal("scoped-run", line.Scope?["RunId"]));
        Assert.All(chunkLines, line => Assert.Equal("chunk", line.Scope?["Operation"]));
    }

    [Fact]
    public void Executor_SetsAndLogsTheConfiguredLibTorchThreadCount()
    {
        Assert.Equal(1, global::TorchSharp.torch.get_num_threads());
        Assert.Contains(_logger.Lines, line => line.Message.StartsWith("TorchSharp executor uses 1 libtorch thread(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void ThreadCount_IsTheConfiguredOne_OrTheCoresEachConcurrentActivityGets()
    {
        Assert.Equal(3, new TorchSharpExecutorOptions { Threads = 3, ConcurrentActivities = 2 }.ResolveThreads());
        Assert.Equal(Environment.ProcessorCount, new TorchSharpExecutorOptions { Threads = 0, ConcurrentActivities = 1 }.ResolveThreads());
        Assert.Equal(1, new TorchSharpExecutorOptions { Threads = 0, ConcurrentActivities = Environment.ProcessorCount * 2 }.ResolveThreads());
    }

    private double Sum(string instrument) => _measurements.Where(m => m.Instrument == instrument && m.RunId == "otel-run").Sum(m => m.Value);

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        string? runId = null;
        foreach (var tag in tags)
        {
            if (tag.Key == TrainingTelemetry.RunIdTag)
            {
                runId = tag.Value as string;
            }
        }

        _measurements.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), runId));
    }

    private sealed class ScopeRecordingLogger : ILogger<TorchSharpTrainingExecutor>
    {
        private readonly AsyncLocal<IReadOnlyDictionary<string, object>?> _scope = new();

        public ConcurrentQueue<(string Message, IReadOnlyDictionary<string, object>? Scope)> Lines { get; } = new();

        public IDisposable BeginScope<TState>(TState state)
            where TState : notnull
        {
            IReadOnlyDictionary<string, object>? outer = _scope.Value;
            _scope.Value = state is IEnumerable<KeyValuePair<string, object>> pairs ? pairs.ToDictionary(pair => pair.Key, pair => pair.Value) : null;
            return new Restore(() => _scope.Value = outer);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue((formatter(state, exception), _scope.Value));

        private sealed class Restore(Action restore) : IDisposable
        {
            public void Dispose() => restore();
        }
    }
}
