using System.Globalization;
using System.Text;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Predictions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.Export;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Prediction;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// The predictor against a really trained checkpoint: predictions in the user's terms (regression targets in their
/// own units, classes by name), batch parts that are the same bytes every time and whose metrics equal one
/// evaluation of the same rows, and bad rows or changed files refused by name.
/// </summary>
public sealed class ModelPredictorTests : IDisposable
{
    private readonly ExecutorHarness _harness = new();
    private readonly TorchSharpModelPredictor _predictor;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public ModelPredictorTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        _predictor = new TorchSharpModelPredictor(_harness.Store, _harness.Datasets, new TorchSharpExecutorOptions { Threads = 1 }, _harness.Models, _harness.DataFiles);
    }


    public void Dispose()
    {
        _predictor.Dispose();
        _harness.Dispose();
    }

    [Fact]
    public async Task Regression_PredictsTargetsInTheirOwnUnits_AndTheJobsMetricsEqualAnEvaluationOfTheSameRows()
    {
        _harness.DataFiles.Put("houses.csv", DataFiles.RegressionCsv(1000));
        _harness.DataFiles.Put("houses-test.csv", DataFiles.RegressionCsv(300, seed: 11));
        var data = new DataSection(Source: "houses.csv", Label: "target", Task: LearningTask.Regression, Test: "houses-test.csv");
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(data, steps: 300);

        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "houses-test.csv"), rowsPerPart: 128);
        Assert.Empty(plan.Errors);
        Assert.True(plan.Labelled);
        Assert.Equal([128L, 128L, 44L], plan.Parts!.Select(part => part.Rows).ToArray());
        PredictionJobInput job = Job("houses-job", checkpoint, recipe, plan, PredictionOutputFormat.Csv);
        PredictionPartResult[] parts = [.. await Task.WhenAll(job.Parts.Select(part => _predictor.PredictPartAsync(Application.Predictions.PredictionOrchestrator.CommandFor(job, part))))];
        EvaluationMetrics metrics = await _predictor.SummarizeAsync(new SummarizePredictionsCommand(job.PredictionId, recipe, job.Destination, job.Parts.Count));

        EvaluationMetrics evaluated = (await _harness.Executor.EvaluateAsync(new EvaluateCommand(checkpoint, recipe, EvaluationSplit.Test))).Metrics;
        Assert.Equal(evaluated.Examples, metrics.Examples);
        Assert.Equal(evaluated.Value(MonitorMetric.Rmse), metrics.Value(MonitorMetric.Rmse), 5);
        Assert.Equal(evaluated.Value(MonitorMetric.R2), metrics.Value(MonitorMetric.R2), 5);
        string[] rows = [.. parts.SelectMany(part => Encoding.UTF8.GetString(_harness.DataFiles.Files("predictions").Single(file => file.Path == "houses-job/" + part.Path).Content).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))];
        double[] predicted = [.. rows.Select(row => double.Parse(row, CultureInfo.InvariantCulture))];
        double[] targets = [.. DataFiles.RegressionCsv(300, seed: 11).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => double.Parse(line.Split(',')[3], CultureInfo.InvariantCulture))];
        // In the target's units (mean about 10, spread about 3.6), not standardized: within the model's error of each target.
        double rmse = Math.Sqrt(predicted.Zip(targets, (p, t) => (p - t) * (p - t)).Average());
        Assert.Equal(metrics.Value(MonitorMetric.Rmse), rmse, 4);
        Assert.InRange(rmse, 0, 0.6);
    }

    [Fact]
    public async Task APartPredictedTwice_WritesTheSameBytes_InEveryFormat()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(600));
        _harness.DataFiles.Put("iris/new.csv", DataFiles.ClassificationCsv(90, seed: 5));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 60);
        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "iris/new.csv"), rowsPerPart: 50);
        Assert.Empty(plan.Errors);

        foreach (PredictionOutputFormat format in Enum.GetValues<PredictionOutputFormat>())
        {
            PredictionJobInput job = Job("iris-" + SpecificationNames.Of(format), checkpoint, recipe, plan, format);
            PredictPartCommand command = Application.Predictions.PredictionOrchestrator.CommandFor(job, job.Parts[1]);
            PredictionPartResult once = await _predictor.PredictPartAsync(command);
            PredictionPartResult again = await _predictor.PredictPartAsync(command);

            Assert.Equal(once.Sha256, again.Sha256);
            Assert.Equal(40, once.Rows);
        }

        byte[] npy = _harness.DataFiles.Files("predictions").Single(file => file.Path == "iris-npy/part-00001.npy").Content;
        NumPyArray probabilities = NumPyArray.Parse("part-00001.npy", npy);
        Assert.Equal([40, 3], probabilities.Shape);
        Assert.All(Enumerable.Range(0, 40), row => Assert.Equal(1.0, probabilities.Values.Skip(row * 3).Take(3).Sum(), 5));
    }

    [Fact]
    public async Task Plan_RefusesAnUnseenCategoryAndAMissingColumn_NamingTheFileRowAndColumn()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(300));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 10);
        _harness.DataFiles.Put("iris/purple.csv", "x0,x1,x2,x3,colour\n1,2,3,4,red\n1,2,3,4,purple\n");
        _harness.DataFiles.Put("iris/narrow.csv", "x0,x1,x2,colour\n1,2,3,red\n");

        PredictionPlan purple = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "iris/purple.csv"), 100);
        PredictionPlan narrow = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "iris/narrow.csv"), 100);

        ValidationError unseen = Assert.Single(purple.Errors);
        Assert.Equal("data.source", unseen.Field);
        Assert.Contains("'iris/purple.csv' line 3, column 'colour': the category 'purple' was not in the training data", unseen.Rule, StringComparison.Ordinal);
        Assert.Contains("has no column 'x3'", Assert.Single(narrow.Errors).Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_ChecksFilesSeveralAtOnce_ButNamesTheFirstBadFileInInputOrder()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(300));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 10);
        for (int shard = 0; shard < 12; shard++)
        {
            _harness.DataFiles.Put($"mixed/{shard:D2}.csv", shard switch
            {
                5 => "x0,x1,x2,x3,colour\n1,2,3,4,red\n1,2,3,4,purple\n",
                9 => "x0,x1,x2,colour\n1,2,3,red\n",
                _ => DataFiles.ClassificationCsv(20, seed: shard),
            });
        }

        for (int attempt = 0; attempt < 3; attempt++)
        {
            PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "mixed/", Sharded: true), 100);

            Assert.Contains("'mixed/05.csv' line 3, column 'colour'", Assert.Single(plan.Errors).Rule, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Plan_RefusesAFileOverTheSizeLimit_NamingIt_BeforeReadingAnyFile()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(300));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 10);
        _harness.DataFiles.Put("rows/a.csv", DataFiles.ClassificationCsv(30, seed: 3));
        _harness.DataFiles.PutListedAs("rows/b.csv", DatasetLimits.MaxShardBytes + 1, DataFiles.ClassificationCsv(30, seed: 4));
        int readsBefore = _harness.DataFiles.Reads;

        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "rows/", Sharded: true), 100);

        ValidationError error = Assert.Single(plan.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains("the file 'rows/b.csv' is larger than 512 MiB", error.Rule, StringComparison.Ordinal);
        Assert.Equal(readsBefore, _harness.DataFiles.Reads);
    }

    [Fact]
    public async Task Plan_RefusesMoreFilesThanTheLimit_BeforeReadingAnyFile()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(300));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 10);
        string shard = DataFiles.ClassificationCsv(1, seed: 3);
        for (int file = 0; file <= DatasetLimits.MaxFiles; file++)
        {
            _harness.DataFiles.Put($"many/{file:D6}.csv", shard);
        }

        int readsBefore = _harness.DataFiles.Reads;

        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "many/", Sharded: true), 100);

        ValidationError error = Assert.Single(plan.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains($"more than {DatasetLimits.MaxFiles} files", error.Rule, StringComparison.Ordinal);
        Assert.Equal(readsBefore, _harness.DataFiles.Reads);
    }

    [Fact]
    public async Task APart_FailsAtOnce_WhenItsFileChangedAfterSubmission_NamingTheFileAndBothHashes()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(300));
        _harness.DataFiles.Put("iris/new.csv", DataFiles.ClassificationCsv(30, seed: 3));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 10);
        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "iris/new.csv"), 100);
        PredictionJobInput job = Job("changed", checkpoint, recipe, plan, PredictionOutputFormat.Csv);
        _harness.DataFiles.Put("iris/new.csv", DataFiles.ClassificationCsv(30, seed: 4));

        DatasetException failure = await Assert.ThrowsAsync<DatasetException>(() => _predictor.PredictPartAsync(Application.Predictions.PredictionOrchestrator.CommandFor(job, job.Parts[0])));

        Assert.Contains("'iris/new.csv' changed under prediction job changed", failure.Message, StringComparison.Ordinal);
        Assert.Contains(plan.Parts![0].Files[0].Sha256, failure.Message, StringComparison.Ordinal);
        Assert.False(_harness.DataFiles.Files("predictions").Any());
    }

    [Fact]
    public async Task APart_FailsAtOnce_WhenTheCheckpointChangedAfterSubmission_NamingItAndBothHashes()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(300));
        _harness.DataFiles.Put("iris/new.csv", DataFiles.ClassificationCsv(30, seed: 3));
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 10);
        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "iris/new.csv"), 100);
        PredictionJobInput job = Job("retrained", checkpoint, recipe, plan, PredictionOutputFormat.Csv);
        await _harness.ChunkAsync(recipe, checkpoint, checkpoint.Name, 10, 5);

        DatasetException failure = await Assert.ThrowsAsync<DatasetException>(() => _predictor.PredictPartAsync(Application.Predictions.PredictionOrchestrator.CommandFor(job, job.Parts[0])));

        Assert.Contains($"The checkpoint {checkpoint} changed under the prediction job", failure.Message, StringComparison.Ordinal);
        Assert.Contains(plan.CheckpointSha256!, failure.Message, StringComparison.Ordinal);
        Assert.False(_harness.DataFiles.Files("predictions").Any());
    }

    [Fact]
    public async Task Plan_RefusesColourImagesForAGrayscaleModel_NamingBothShapes()
    {
        for (int image = 0; image < 40; image++)
        {
            _harness.DataFiles.Put($"shapes/{(image % 2 == 0 ? "left" : "right")}/{image}.png", DataFiles.QuadrantImage(image % 2, 8, 8, gray: true, seed: image));
            _harness.DataFiles.Put($"colour/{image}.png", DataFiles.QuadrantImage(image % 2, 8, 8, gray: false, seed: image));
        }

        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "shapes/"), steps: 5);

        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "colour/"), 100);

        ValidationError error = Assert.Single(plan.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains("holds rows of shape [3, 8, 8] but the run's model takes [1, 8, 8]", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_OfAnImageModel_AreNestedOrFlatLists_AndAWrongShapeIsNamed()
    {
        TrainingRecipe recipe = TestRecipes.Recipe(TestRecipes.Architecture("mlp"));
        CheckpointReference start = await _harness.InitializeAsync("synthetic-rows", recipe);
        float[] pixels = [.. Enumerable.Range(0, 784).Select(i => (i % 17) / 17f)];
        string nested = JsonSerializer.Serialize(new[] { new[] { Enumerable.Range(0, 28).Select(r => pixels.Skip(r * 28).Take(28).ToArray()).ToArray() } });
        string flat = JsonSerializer.Serialize(new[] { pixels });

        RowPredictions fromNested = await _predictor.PredictRowsAsync(start, recipe, JsonDocument.Parse(nested).RootElement);
        RowPredictions fromFlat = await _predictor.PredictRowsAsync(start, recipe, JsonDocument.Parse(flat).RootElement);
        PredictionInputException wrong = await Assert.ThrowsAsync<PredictionInputException>(() => _predictor.PredictRowsAsync(start, recipe, JsonDocument.Parse("[[[1,2],[3,4]]]").RootElement));

        Assert.Equal(fromNested.Predictions[0].Probabilities, fromFlat.Predictions[0].Probabilities);
        Assert.Equal(10, fromNested.Classes!.Count);
        Assert.Equal("rows[0]", wrong.Field);
        Assert.Contains("nested lists of shape [1, 28, 28], or one flat list of 784 numbers", wrong.Message, StringComparison.Ordinal);
    }

    /// <summary>A table's predictions here against PyTorch's on the exported model (Debian's python3-torch), fed the same encoded and standardized rows.</summary>
    [SkippableFact]
    public async Task TablePredictions_AgreeWithPyTorchOnTheExportedModel()
    {
        TestRequirements.PyTorch();
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(900));
        string rows = DataFiles.ClassificationCsv(500, seed: 13);
        _harness.DataFiles.Put("iris/new.csv", rows);
        (CheckpointReference checkpoint, TrainingRecipe recipe) = await TrainAsync(new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]), steps: 150);
        PredictionPlan plan = await _predictor.PlanAsync(checkpoint, recipe, new DataSection(Source: "iris/new.csv"), rowsPerPart: 500);
        PredictionJobInput job = Job("iris-pytorch", checkpoint, recipe, plan, PredictionOutputFormat.Npy);
        await _predictor.PredictPartAsync(Application.Predictions.PredictionOrchestrator.CommandFor(job, job.Parts[0]));
        double[] ours = NumPyArray.Parse("ours.npy", _harness.DataFiles.Files("predictions").Single(file => file.Path == "iris-pytorch/part-00000.npy").Content).Values;

        // The same rows as the model takes them: encoded by the run's table encoding, standardized by its statistics.
        Data.LoadedDataset dataset = await _harness.Datasets.GetAsync(recipe.Data);
        var csv = Data.Formats.DataFormats.BuiltIn.Find("csv")!;
        Data.DataTable table = csv.ReadForPrediction([new DataFile("iris/new.csv", Encoding.UTF8.GetBytes(rows))], recipe.Data).Table!;
        float[] features = dataset.Encoding!.EncodeForPrediction(table, dataset.Task, idColumn: null).Examples.Features;
        int width = dataset.Preprocessing.FeatureMean.Length;
        float[] standardized = [.. features.Select((value, i) => (value - dataset.Preprocessing.FeatureMean[i % width]) / dataset.Preprocessing.FeatureStd[i % width])];
        var exporter = new PyTorchModelExporter(_harness.Store, _harness.Datasets);
        string folder = Directory.CreateTempSubdirectory("dt-predict-pytorch-").FullName;
        try
        {
            string weights = Path.Combine(folder, "model.pt"), spec = Path.Combine(folder, "model.json"), input = Path.Combine(folder, "rows.f32"), logits = Path.Combine(folder, "logits.f32");
            await File.WriteAllBytesAsync(weights, (await exporter.ExportAsync(checkpoint, recipe, ModelExportFormat.PyTorch)).Content);
            await File.WriteAllBytesAsync(spec, (await exporter.ExportAsync(checkpoint, recipe, ModelExportFormat.Spec)).Content);
            await File.WriteAllBytesAsync(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(standardized.AsSpan()).ToArray());
            SystemPyTorch.Run(SystemPyTorch.Python, Path.Combine(RepositoryPaths.Root, "interop", "pytorch", "durabletrainer_model.py"), weights, spec, input, "500", logits);
            float[] theirLogits = new float[500 * 3];
            Buffer.BlockCopy(await File.ReadAllBytesAsync(logits), 0, theirLogits, 0, theirLogits.Length * sizeof(float));
            double[] theirs = [.. theirLogits.Chunk(3).SelectMany(row => { double top = row.Max(); double[] e = [.. row.Select(v => Math.Exp(v - top))]; return e.Select(v => v / e.Sum()); })];

            int agree = Enumerable.Range(0, 500).Count(row => ArgMax(ours, row) == ArgMax(theirs, row));
            double largest = ours.Zip(theirs).Max(pair => Math.Abs(pair.First - pair.Second));
            _output.WriteLine($"table: classes agree on {agree} of 500 rows; largest probability difference {largest:E2}");
            Assert.Equal(500, agree);
            Assert.True(largest < 1e-5, $"probabilities differ by up to {largest}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static int ArgMax(double[] probabilities, int row) => Enumerable.Range(0, 3).MaxBy(c => probabilities[(row * 3) + c]);

    [Fact]
    public async Task ATorchScriptModel_PredictsThroughTheSamePath_AsItsEvaluationMeasuresIt()
    {
        StoredModelFile stored = await _harness.Files.SaveAsync("cnn.pt", TorchScriptFiles.Read("cnn.pt"));
        TrainingRecipe recipe = TestRecipes.Recipe(new ModelSection(File: stored.Name, Sha256: stored.Sha256), new OptimizerSection(LearningRate: 1e-2), new TrainingSection(BatchSize: 32, Seed: 5));
        CheckpointReference trained = (await _harness.ChunkAsync(recipe, await _harness.InitializeAsync("scripted", recipe), "trained", 0, 8)).Checkpoint;
        using var scope = global::TorchSharp.torch.NewDisposeScope();
        global::TorchSharp.torch.Tensor images = (await _harness.Datasets.GetAsync(recipe.Data)).Test.Held().Features.narrow(0, 0, 3);
        // The rows as a user sends them: pixel intensities before standardization (the synthetic images' mean and spread undone).
        Data.Preprocessing preprocessing = (await _harness.Datasets.GetAsync(recipe.Data)).Preprocessing;
        float[] raw = [.. images.contiguous().data<float>().ToArray().Select(value => (value * preprocessing.FeatureStd[0]) + preprocessing.FeatureMean[0])];
        string rows = JsonSerializer.Serialize(raw.Chunk(784).ToArray());

        RowPredictions predictions = await _predictor.PredictRowsAsync(trained, recipe, JsonDocument.Parse(rows).RootElement);

        ModelSpec spec = await _harness.Models.ResolveAsync(recipe.Model, TestRecipes.Synthetic);
        using var model = ModelFactory.Create(spec);
        CheckpointFormat.Read(trained, _harness.Store.Blobs[trained], spec.Describe(), model, null);
        model.eval();
        float[] expected;
        using (global::TorchSharp.torch.no_grad())
        {
            expected = global::TorchSharp.torch.nn.functional.softmax(model.call(images), 1).contiguous().data<float>().ToArray();
        }

        Assert.Equal(3, predictions.Predictions.Count);
        for (int row = 0; row < 3; row++)
        {
            double[] probabilities = [.. predictions.Classes!.Select(name => predictions.Predictions[row].Probabilities![name])];
            Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(expected[(row * 10) + c], probabilities[c], 5));
        }
    }

    [Fact]
    public void PredictionFiles_WriteNpyThatNumPyReadersRead_AndQuoteCsvFields()
    {
        var predictions = new PredictedValues(2, 2, [0.25f, 0.75f, 0.5f, 0.5f], null, ["a,b", "c"]);

        byte[] npy = PredictionFiles.Write(PredictionOutputFormat.Npy, predictions, null, null);
        string csv = Encoding.UTF8.GetString(PredictionFiles.Write(PredictionOutputFormat.Csv, predictions, ["x", "y\"z"], "id"));

        NumPyArray array = NumPyArray.Parse("p.npy", npy);
        Assert.Equal([2, 2], array.Shape);
        Assert.Equal([0.25, 0.75, 0.5, 0.5], array.Values);
        Assert.Equal(0, (npy.Length - array.Values.Length * 4) % 64);
        Assert.Equal("id,prediction,\"probability_a,b\",probability_c\nx,c,0.25,0.75\n\"y\"\"z\",\"a,b\",0.5,0.5\n", csv);
    }

    private async Task<(CheckpointReference Checkpoint, TrainingRecipe Recipe)> TrainAsync(DataSection data, int steps)
    {
        DatasetCheck check = await _harness.Datasets.CheckAsync(data);
        Assert.Empty(check.Errors);
        TrainingRecipe recipe = TrainingRecipe.From(TrainingSpecification.Create(
            data: check.Data!,
            model: new ModelSection("mlp"),
            optimizer: new OptimizerSection(OptimizerKind.Adam, LearningRate: 0.01),
            training: new TrainingSection(BatchSize: 32)).GetValueOrThrow());
        CheckpointReference start = await _harness.InitializeAsync("predictor", recipe);
        ChunkResult chunk = await _harness.ChunkAsync(recipe, start, "trained", 0, steps);
        return (chunk.Checkpoint, recipe);
    }

    private static PredictionJobInput Job(string id, CheckpointReference checkpoint, TrainingRecipe recipe, PredictionPlan plan, PredictionOutputFormat format) => new(
        PredictionId.Parse(id), checkpoint, plan.CheckpointSha256!, recipe, plan.Data!, new PredictionDestination("predictions", id + "/", format),
        plan.Parts!, plan.Labelled, 2, plan.IgnoredColumns ?? [], plan.Rows, DateTime.UnixEpoch);
}
