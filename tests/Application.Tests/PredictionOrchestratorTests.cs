using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.Predictions;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Predictions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Tests;

/// <summary>
/// The batch prediction loop against a host whose parts end in any order: never more parts at once than the job
/// allows, the manifest's parts in input order, metrics only for labelled rows, and progress as parts end.
/// </summary>
public sealed class PredictionOrchestratorTests
{
    [Fact]
    public async Task RunsAtMostTheParallelismAtOnce_AndListsPartsInInputOrderHoweverTheyEnd()
    {
        var host = new ScriptedHost();
        Task<PredictionManifest?> job = new PredictionOrchestrator(host).RunAsync(Input(parts: 5, parallelism: 2, labelled: true));

        Assert.Equal([0, 1], host.Started);
        host.Finish(1);
        Assert.Equal([0, 1, 2], host.Started);
        host.Finish(2);
        host.Finish(0);
        host.Finish(4);
        host.Finish(3);
        PredictionManifest manifest = (await job)!;

        Assert.Equal(2, host.MostAtOnce);
        Assert.Equal(["part-00000.csv", "part-00001.csv", "part-00002.csv", "part-00003.csv", "part-00004.csv"], manifest.Parts.Select(part => part.Path).ToArray());
        Assert.Equal(50, manifest.Rows);
        Assert.NotNull(manifest.Metrics);
        Assert.Same(manifest, host.Written);
        Assert.Equal("done", host.Progress[^1].Stage);
        Assert.Equal(5, host.Progress[^1].PartsDone);
    }

    [Fact]
    public async Task UnlabelledRows_GetNoMetrics()
    {
        var host = new ScriptedHost { FinishAtOnce = true };

        PredictionManifest? manifest = await new PredictionOrchestrator(host).RunAsync(Input(parts: 3, parallelism: 4, labelled: false));

        Assert.Null(manifest!.Metrics);
        Assert.False(host.Summarized);
    }

    [Fact]
    public async Task ALongJob_ContinuesAsNewAfterEachWindowOfParts_CarryingResults_AndItsManifestListsEveryPartInOrder()
    {
        var host = new ScriptedHost { FinishAtOnce = true };
        PredictionJobInput input = Input(parts: 5, parallelism: 4, labelled: true) with { PartsPerExecution = 2 };
        var executions = new List<IReadOnlyList<int>>();
        PredictionManifest? manifest = null;

        for (int execution = 0; execution < 5 && manifest is null; execution++)
        {
            host.Started.Clear();
            manifest = await new PredictionOrchestrator(host).RunAsync(input);
            executions.Add([.. host.Started]);
            if (manifest is null)
            {
                input = host.Continued ?? throw new InvalidOperationException("an execution ended with neither a manifest nor a next input");
                host.Continued = null;
            }
        }

        Assert.Equal([[0, 1], [2, 3], [4]], executions.Select(started => started.ToArray()).ToArray());
        Assert.Equal(["part-00000.csv", "part-00001.csv", "part-00002.csv", "part-00003.csv", "part-00004.csv"], manifest!.Parts.Select(part => part.Path).ToArray());
        Assert.Equal(50, manifest.Rows);
        Assert.NotNull(manifest.Metrics);
        Assert.Equal(5, host.Progress[^1].PartsDone);
        Assert.Equal(50, host.Progress[^1].RowsDone);
    }

    [Theory]
    [InlineData("Bad_Id", null, null, null, "predictionId")]
    [InlineData(null, "../up", null, null, "output.path")]
    [InlineData(null, null, 0, null, "rowsPerPart")]
    [InlineData(null, null, null, 65, "parallelism")]
    public void Validate_NamesTheFieldOfABadRequest(string? id, string? path, int? rowsPerPart, int? parallelism, string field)
    {
        var request = new PredictionRequest(id, new PredictionModelSection("run"), new DataSection(Source: "a.csv"), new PredictionOutputSection(Path: path), rowsPerPart, parallelism);

        Assert.Equal(field, Assert.Single(StartPredictionUseCase.Validate(request)).Field);
    }

    private static PredictionJobInput Input(int parts, int parallelism, bool labelled) => new(
        PredictionId.Parse("job"),
        new CheckpointReference(RunId.Parse("run"), "round-000001/replica-00"),
        new string('0', 64),
        TrainingRecipe.From(TrainingSpecification.Create().GetValueOrThrow()),
        new DataSection(Source: "rows.csv"),
        new PredictionDestination("predictions", "job/", PredictionOutputFormat.Csv),
        [.. Enumerable.Range(0, parts).Select(index => new PredictionPart(index, [new PinnedFile("rows.csv", new string('1', 64))], index * 10L, 10))],
        labelled,
        parallelism,
        [],
        parts * 10L,
        DateTime.UnixEpoch);

    private sealed class ScriptedHost : IPredictionHost
    {
        private readonly Dictionary<int, TaskCompletionSource<PredictionPartResult>> _running = [];

        public bool FinishAtOnce { get; init; }

        public List<int> Started { get; } = [];

        public int MostAtOnce { get; private set; }

        public bool Summarized { get; private set; }

        public PredictionManifest? Written { get; private set; }

        public List<PredictionProgress> Progress { get; } = [];

        public DateTime UtcNow => DateTime.UnixEpoch.AddSeconds(10);

        public Task<PredictionPartResult> PredictPartAsync(PredictPartCommand command)
        {
            int index = command.Part.Index;
            Started.Add(index);
            var result = new PredictionPartResult(index, $"part-{index:D5}.csv", command.Part.Rows, new string('2', 64), 0.1);
            if (FinishAtOnce)
            {
                return Task.FromResult(result);
            }

            var completion = new TaskCompletionSource<PredictionPartResult>(TaskCreationOptions.None);
            _running[index] = completion;
            MostAtOnce = Math.Max(MostAtOnce, _running.Count);
            return completion.Task;
        }

        public void Finish(int index)
        {
            TaskCompletionSource<PredictionPartResult> completion = _running[index];
            _running.Remove(index);
            completion.SetResult(new PredictionPartResult(index, $"part-{index:D5}.csv", 10, new string('2', 64), 0.1));
        }

        public Task<EvaluationMetrics> SummarizeAsync(SummarizePredictionsCommand command)
        {
            Summarized = true;
            return Task.FromResult(new EvaluationMetrics(0, 0.5, 50, new Dictionary<string, double> { ["accuracy"] = 0.9 }));
        }

        public Task WriteManifestAsync(WriteManifestCommand command)
        {
            Written = command.Manifest;
            return Task.CompletedTask;
        }

        public void Report(PredictionProgress progress) => Progress.Add(progress);

        public PredictionJobInput? Continued { get; set; }

        public void ContinueAsNew(PredictionJobInput next) => Continued = next;
    }
}
