using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DurableTrainer.Api.Tests;

public class SubmissionWarmUpTests
{
    private const string DefaultLikeRun = """{"data":{"dataset":"fashion-mnist"},"model":{"architecture":"cnn"},"training":{"epochs":2}}""";

    [Fact]
    public async Task WarmUp_OfAValidRun_ChecksItsDataAndModelOnce_AndSchedulesNothing()
    {
        var datasets = new CountingDatasets();
        var models = new CountingModels();
        var log = new RecordingLogger();
        using var warmUp = new SubmissionWarmUp(Settings(null), datasets, models, log);

        IReadOnlyList<ValidationError> errors = await warmUp.WarmUpAsync(DefaultLikeRun, CancellationToken.None);

        Assert.Empty(errors);
        DataSection checkedData = Assert.Single(datasets.Checked);
        Assert.Equal(DatasetKind.FashionMnist, checkedData.Dataset);
        Assert.Equal("cnn", Assert.Single(models.Checked).Architecture);
        Assert.Contains(log.Lines, line => line.Level == LogLevel.Information && line.Text.Contains("Warmed up", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WarmUp_OfARunThatDoesNotValidate_LogsTheSettingFieldAndRule_AndThrowsNothing()
    {
        var log = new RecordingLogger();
        using var warmUp = new SubmissionWarmUp(Settings(null), new CountingDatasets(), new CountingModels(), log);

        IReadOnlyList<ValidationError> errors = await warmUp.WarmUpAsync("""{"training":{"batchSize":0}}""", CancellationToken.None);

        Assert.Contains(errors, error => error.Field == "training.batchSize");
        (LogLevel level, string text) = Assert.Single(log.Lines);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains(SubmissionWarmUp.Setting, text, StringComparison.Ordinal);
        Assert.Contains("training.batchSize", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WarmUp_OfMalformedJson_NamesTheBody()
    {
        var datasets = new CountingDatasets();
        using var warmUp = new SubmissionWarmUp(Settings(null), datasets, new CountingModels(), new RecordingLogger());

        IReadOnlyList<ValidationError> errors = await warmUp.WarmUpAsync("{\"data\":", CancellationToken.None);

        Assert.Equal("body", Assert.Single(errors).Field);
        Assert.Empty(datasets.Checked);
    }

    [Fact]
    public async Task WarmUp_WhoseCatalogFails_LogsAWarning_AndThrowsNothing()
    {
        var log = new RecordingLogger();
        using var warmUp = new SubmissionWarmUp(Settings(null), new CountingDatasets(fail: true), new CountingModels(), log);

        IReadOnlyList<ValidationError> errors = await warmUp.WarmUpAsync(DefaultLikeRun, CancellationToken.None);

        Assert.Equal(SubmissionWarmUp.Setting, Assert.Single(errors).Field);
        Assert.Equal(LogLevel.Warning, Assert.Single(log.Lines).Level);
    }

    [Fact]
    public async Task StartingTheHost_WithoutTheSetting_ChecksNothing()
    {
        var datasets = new CountingDatasets();
        using var warmUp = new SubmissionWarmUp(Settings(null), datasets, new CountingModels(), new RecordingLogger());

        await warmUp.StartAsync(CancellationToken.None);
        await (warmUp.ExecuteTask ?? Task.CompletedTask);

        Assert.Empty(datasets.Checked);
    }

    [Fact]
    public async Task StartingTheHost_ReturnsWhileTheRunsDataIsStillLoading_ThenLoadsIt()
    {
        // A built-in dataset is read synchronously: the start must not wait for it.
        using var loading = new ManualResetEventSlim();
        var datasets = new CountingDatasets(holdUntil: loading);
        using var warmUp = new SubmissionWarmUp(Settings(DefaultLikeRun), datasets, new CountingModels(), new RecordingLogger());

        await warmUp.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(warmUp.ExecuteTask!.IsCompleted);

        loading.Set();
        await warmUp.ExecuteTask.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(datasets.Checked);
    }

    private static IConfiguration Settings(string? run) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(run is null ? [] : [new KeyValuePair<string, string?>(SubmissionWarmUp.Setting, run)])
            .Build();

    private sealed class CountingDatasets(bool fail = false, ManualResetEventSlim? holdUntil = null) : IDatasetCatalog
    {
        public List<DataSection> Checked { get; } = [];

        public Task<DatasetCheck> CheckAsync(DataSection data, CancellationToken cancellationToken = default)
        {
            holdUntil?.Wait(TimeSpan.FromSeconds(30), cancellationToken);
            if (fail)
            {
                throw new IOException("the disk went away");
            }

            lock (Checked)
            {
                Checked.Add(data);
            }

            return Task.FromResult(new DatasetCheck(data.Resolved(), new DataShape([1, 28, 28], 10), [], 54_000));
        }
    }

    private sealed class CountingModels : IModelCatalog
    {
        public List<ModelSection> Checked { get; } = [];

        public IReadOnlyCollection<string> Architectures { get; } = ["mlp", "cnn"];

        public Task<ModelCheck> CheckAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default)
        {
            Checked.Add(model);
            return Task.FromResult(ModelCheck.Valid(model, 1000));
        }

        public IReadOnlyList<ValidationError> CheckFile(ReadOnlyMemory<byte> content, string path) => [];
    }

    private sealed class RecordingLogger : ILogger<SubmissionWarmUp>
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
