using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.TestSupport;
using Xunit.Abstractions;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Users' own data, read from a dataset store and trained on for real: tables (CSV, TSV) and NumPy arrays, for
/// classification, binary classification and regression. The files are generated with a known rule behind the
/// label, so the metrics must come out far better than chance.
/// </summary>
public sealed class UserDataTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly ExecutorHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Csv_Classification_WithACategoricalColumn_LearnsTheRuleAndPinsTheFile()
    {
        _harness.DataFiles.Put("iris/train.csv", DataFiles.ClassificationCsv(900));
        var data = new DataSection(Source: "iris/train.csv", Label: "species", Categorical: ["colour"]);

        DatasetCheck check = await _harness.Datasets.CheckAsync(data);

        Assert.Empty(check.Errors);
        // Four numeric columns and one-hot red, green, blue; three classes.
        Assert.Equal(new DataShape([7], 3), check.Shape);
        Assert.True(ModelSection.IsSha256(check.Data!.Sha256));
        EvaluationMetrics test = await TrainAsync(check.Data, steps: 150, split: EvaluationSplit.Test);
        output.WriteLine($"test accuracy {test.Value(MonitorMetric.Accuracy):F3} on {test.Examples}");
        Assert.Equal(180, test.Examples);
        Assert.True(test.Value(MonitorMetric.Accuracy) > 0.9, $"accuracy {test.Value(MonitorMetric.Accuracy)}");
    }

    [Fact]
    public async Task Csv_Regression_ReportsRmseMaeAndR2InTheTargetsUnits()
    {
        _harness.DataFiles.Put("houses.csv", DataFiles.RegressionCsv(1000));
        var data = new DataSection(Source: "houses.csv", Label: "target", Task: LearningTask.Regression);

        DatasetCheck check = await _harness.Datasets.CheckAsync(data);

        Assert.Empty(check.Errors);
        Assert.Equal(new DataShape([3], 1), check.Shape);
        EvaluationMetrics validation = await TrainAsync(check.Data!, steps: 300, split: EvaluationSplit.Validation);
        output.WriteLine($"rmse {validation.Value(MonitorMetric.Rmse):F3}, mae {validation.Value(MonitorMetric.Mae):F3}, r2 {validation.Value(MonitorMetric.R2):F3}");
        // The target's own spread is about 3.6; the noise is 0.1.
        Assert.InRange(validation.Value(MonitorMetric.Rmse), 0, 0.6);
        Assert.InRange(validation.Value(MonitorMetric.Mae), 0, validation.Value(MonitorMetric.Rmse));
        Assert.InRange(validation.Value(MonitorMetric.R2), 0.95, 1);
        Assert.True(double.IsNaN(validation.Value(MonitorMetric.Accuracy)));
    }

    [Fact]
    public async Task Csv_Binary_ReportsAccuracyAndAuc()
    {
        _harness.DataFiles.Put("churn.csv", DataFiles.BinaryCsv(800));
        var data = new DataSection(Source: "churn.csv", Label: "churned", Task: LearningTask.Binary);

        DatasetCheck check = await _harness.Datasets.CheckAsync(data);

        Assert.Equal(new DataShape([2], 2), check.Shape);
        EvaluationMetrics test = await TrainAsync(check.Data!, steps: 150, split: EvaluationSplit.Test);
        output.WriteLine($"accuracy {test.Value(MonitorMetric.Accuracy):F3}, auc {test.Value(MonitorMetric.Auc):F3}");
        Assert.InRange(test.Value(MonitorMetric.Auc), 0.9, 1);
        Assert.InRange(test.Value(MonitorMetric.Accuracy), 0.8, 1);
    }

    [Fact]
    public async Task Tsv_WithAGivenTestFile_TrainsOnAllOfTrainLessValidationAndTestsOnTheFile()
    {
        _harness.DataFiles.Put("t/train.tsv", DataFiles.ClassificationCsv(600, separator: '\t'));
        _harness.DataFiles.Put("t/test.tsv", DataFiles.ClassificationCsv(250, seed: 9, separator: '\t'));
        var data = new DataSection(Source: "t/train.tsv", Test: "t/test.tsv", Label: "species", Categorical: ["colour"]);

        DatasetCheck check = await _harness.Datasets.CheckAsync(data);

        Assert.Empty(check.Errors);
        var dataset = await _harness.Datasets.GetAsync(check.Data!);
        Assert.Equal((540, 60, 250), (dataset.Train.Count, dataset.Validation.Count, dataset.Test.Count));
    }

    [Fact]
    public async Task Parquet_ReadsLikeTheSameCsv_AndTrains()
    {
        string csv = DataFiles.ClassificationCsv(600);
        _harness.DataFiles.Put("p/train.csv", csv);
        _harness.DataFiles.Put("p/train.parquet", DataFiles.Parquet(csv, "colour", "species"));

        DatasetCheck fromCsv = await _harness.Datasets.CheckAsync(new DataSection(Source: "p/train.csv", Label: "species", Categorical: ["colour"]));
        DatasetCheck fromParquet = await _harness.Datasets.CheckAsync(new DataSection(Source: "p/train.parquet", Label: "species", Categorical: ["colour"]));

        Assert.Empty(fromParquet.Errors);
        Assert.Equal(fromCsv.Shape, fromParquet.Shape);
        var csvData = await _harness.Datasets.GetAsync(fromCsv.Data!);
        var parquetData = await _harness.Datasets.GetAsync(fromParquet.Data!);
        Assert.True(csvData.Train.Held().Features.allclose(parquetData.Train.Held().Features, rtol: 1e-5, atol: 1e-5));
        Assert.True(csvData.Test.Held().Targets.equal(parquetData.Test.Held().Targets).all().item<bool>());
        EvaluationMetrics test = await TrainAsync(fromParquet.Data!, steps: 100, split: EvaluationSplit.Test);
        Assert.True(test.Value(MonitorMetric.Accuracy) > 0.85, $"accuracy {test.Value(MonitorMetric.Accuracy)}");
    }

    [Fact]
    public async Task Parquet_WithANull_NamesTheRowAndColumnAsMissing()
    {
        _harness.DataFiles.Put("n.parquet", DataFiles.Parquet("a,b,label\n1,2,x\n3,,y\n", "label"));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "n.parquet", Label: "label"));

        Assert.Contains("'n.parquet' row 2, column 'b': the value is missing", Assert.Single(check.Errors).Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageFolder_OneSubfolderPerClass_TrainsTheCnnOnRgbImages()
    {
        string[] classes = ["top-left", "top-right", "bottom-left", "bottom-right"];
        for (int n = 0; n < 320; n++)
        {
            _harness.DataFiles.Put($"shapes/{classes[n % 4]}/{n:D4}.png", DataFiles.QuadrantImage(n % 4, 12, 12, gray: false, seed: n));
        }

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "shapes/"));

        Assert.Empty(check.Errors);
        Assert.Equal(new DataShape([3, 12, 12], 4), check.Shape);
        var dataset = await _harness.Datasets.GetAsync(check.Data!);
        Assert.Equal("channel", dataset.Preprocessing.Axis);
        Assert.Equal(new[] { "bottom-left", "bottom-right", "top-left", "top-right" }, dataset.Preprocessing.ClassNames);
        EvaluationMetrics test = await TrainAsync(check.Data!, steps: 60, split: EvaluationSplit.Test, model: new ModelSection("cnn"));
        Assert.True(test.Value(MonitorMetric.Accuracy) > 0.9, $"accuracy {test.Value(MonitorMetric.Accuracy)}");
    }

    [Fact]
    public async Task ImageFolders_ForTestAndValidation_AreReadAsTheTrainingFolderIs_NothingHeldOut()
    {
        string[] classes = ["left", "right"];
        foreach ((string split, int count) in new[] { ("train", 40), ("test", 10), ("val", 6) })
        {
            for (int n = 0; n < count; n++)
            {
                _harness.DataFiles.Put($"folders/{split}/{classes[n % 2]}/{n:D3}.png", DataFiles.QuadrantImage(n % 2, 8, 8, gray: true, seed: n + count));
            }
        }

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "folders/train/", Test: "folders/test/", Validation: "folders/val/"));

        Assert.Empty(check.Errors);
        var dataset = await _harness.Datasets.GetAsync(check.Data!);
        Assert.Equal((40, 6, 10), (dataset.Train.Count, dataset.Validation.Count, dataset.Test.Count));
        Assert.Equal(classes, dataset.Preprocessing.ClassNames);
    }

    [Fact]
    public async Task ImageFolder_OfMixedSizesAndKinds_IsResizedCroppedAndMadeGrayscaleWhenAsked()
    {
        for (int n = 0; n < 40; n++)
        {
            bool gray = n % 3 == 0;
            var format = n % 2 == 0 ? SkiaSharp.SKEncodedImageFormat.Png : SkiaSharp.SKEncodedImageFormat.Jpeg;
            _harness.DataFiles.Put($"mixed/class-{n % 2}/{n}.{(format == SkiaSharp.SKEncodedImageFormat.Png ? "png" : "jpg")}", DataFiles.QuadrantImage(n % 2, 10 + n, 14 + (n % 5), gray, seed: n, format));
        }

        DatasetCheck unsized = await _harness.Datasets.CheckAsync(new DataSection(Source: "mixed/", Channels: 1));
        DatasetCheck uncoloured = await _harness.Datasets.CheckAsync(new DataSection(Source: "mixed/", ImageSize: 8));
        DatasetCheck both = await _harness.Datasets.CheckAsync(new DataSection(Source: "mixed/", ImageSize: 8, Channels: 1));

        Assert.Contains("set data.imageSize", Assert.Single(unsized.Errors).Rule, StringComparison.Ordinal);
        Assert.Contains("set data.channels", Assert.Single(uncoloured.Errors).Rule, StringComparison.Ordinal);
        Assert.Empty(both.Errors);
        Assert.Equal(new DataShape([1, 8, 8], 2), both.Shape);
    }

    [Fact]
    public async Task ImageFolder_WithACorruptImage_OrAnImageOutsideAClassFolder_NamesTheImage()
    {
        _harness.DataFiles.Put("bad/a/1.png", DataFiles.QuadrantImage(0, 8, 8, gray: true, seed: 1));
        _harness.DataFiles.Put("bad/a/2.png", "not an image at all"u8.ToArray());
        _harness.DataFiles.Put("loose/a/1.png", DataFiles.QuadrantImage(0, 8, 8, gray: true, seed: 1));
        _harness.DataFiles.Put("loose/2.png", DataFiles.QuadrantImage(1, 8, 8, gray: true, seed: 2));
        byte[] whole = DataFiles.QuadrantImage(0, 32, 32, gray: false, seed: 3);
        _harness.DataFiles.Put("cut/a/1.png", DataFiles.QuadrantImage(0, 32, 32, gray: false, seed: 1));
        _harness.DataFiles.Put("cut/b/2.png", whole[..(whole.Length / 2)]);

        string corrupt = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "bad/"))).Errors).Rule;
        string loose = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "loose/"))).Errors).Rule;
        string cut = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "cut/"))).Errors).Rule;

        Assert.Contains("'bad/a/2.png' image: is not a readable PNG or JPEG image", corrupt, StringComparison.Ordinal);
        Assert.Contains("'loose/2.png' path: is not inside a class folder", loose, StringComparison.Ordinal);
        Assert.Contains("'cut/b/2.png' image: could not be decoded whole", cut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npz_ImagesWithLabels_TrainAConvolutionalModel()
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(600);
        _harness.DataFiles.Put("arrays/quadrants.npz", DataFiles.Npz(("x", DataFiles.Npy(features, 600, 1, 8, 8)), ("y", DataFiles.Npy(labels, 600))));
        var data = new DataSection(Source: "arrays/quadrants.npz");

        DatasetCheck check = await _harness.Datasets.CheckAsync(data);

        Assert.Empty(check.Errors);
        Assert.Equal(new DataShape([1, 8, 8], 4), check.Shape);
        EvaluationMetrics test = await TrainAsync(check.Data!, steps: 100, split: EvaluationSplit.Test, model: new ModelSection("cnn"));
        Assert.True(test.Value(MonitorMetric.Accuracy) > 0.9, $"accuracy {test.Value(MonitorMetric.Accuracy)}");
    }

    [Fact]
    public async Task Npy_WithALabelsFileBeside_OrALabelColumn_ReadsTheSameExamples()
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(200, size: 2);
        _harness.DataFiles.Put("a/x.npy", DataFiles.Npy(features, 200, 4));
        _harness.DataFiles.Put("a/y.npy", DataFiles.Npy(labels, 200));
        float[] table = Enumerable.Range(0, 200).SelectMany(row => features.Skip(row * 4).Take(4).Append(labels[row])).ToArray();
        _harness.DataFiles.Put("b/table.npy", DataFiles.Npy(table, 200, 5));

        DatasetCheck besides = await _harness.Datasets.CheckAsync(new DataSection(Source: "a/x.npy", Label: "y.npy"));
        DatasetCheck column = await _harness.Datasets.CheckAsync(new DataSection(Source: "b/table.npy", Label: "-1"));

        Assert.Empty(besides.Errors);
        Assert.Empty(column.Errors);
        Assert.Equal(new DataShape([4], 4), besides.Shape);
        Assert.Equal(besides.Shape, column.Shape);
        var first = await _harness.Datasets.GetAsync(besides.Data!);
        var second = await _harness.Datasets.GetAsync(column.Data!);
        Assert.True(first.Train.Held().Features.equal(second.Train.Held().Features).all().item<bool>());
        Assert.True(first.Test.Held().Targets.equal(second.Test.Held().Targets).all().item<bool>());
    }

    [Fact]
    public async Task NpzFolder_ReadWhole_IsTheSameDatasetAsOneArchive_AndAMismatchedFileIsNamed()
    {
        (float[] features, long[] labels) = DataFiles.QuadrantImages(300, size: 2);
        byte[] Part(int from, int count, int width = 4) => DataFiles.Npz(
            ("x", DataFiles.Npy(features.Skip(from * 4).Take(count * width).ToArray(), count, width)),
            ("y", DataFiles.Npy(labels.Skip(from).Take(count).ToArray(), count)));
        _harness.DataFiles.Put("one/all.npz", Part(0, 300));
        _harness.DataFiles.Put("many/a.npz", Part(0, 100));
        _harness.DataFiles.Put("many/b.npz", Part(100, 200));
        _harness.DataFiles.Put("odd/a.npz", Part(0, 100));
        _harness.DataFiles.Put("odd/b.npz", Part(100, 100, width: 2));

        var one = await _harness.Datasets.GetAsync((await _harness.Datasets.CheckAsync(new DataSection(Source: "one/all.npz"))).Data!);
        var many = await _harness.Datasets.GetAsync((await _harness.Datasets.CheckAsync(new DataSection(Source: "many/"))).Data!);
        ValidationError odd = Assert.Single((await _harness.Datasets.CheckAsync(new DataSection(Source: "odd/"))).Errors);

        Assert.True(one.Train.Held().Features.equal(many.Train.Held().Features).all().item<bool>());
        Assert.True(one.Test.Held().Targets.equal(many.Test.Held().Targets).all().item<bool>());
        Assert.Contains("'odd/b.npz' shape: holds examples of shape [2]", odd.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainStatistics_StandardizeEverySplit_AndComeFromTrainingOnly()
    {
        _harness.DataFiles.Put("s.csv", DataFiles.RegressionCsv(500));
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "s.csv", Label: "target", Task: LearningTask.Regression));

        var dataset = await _harness.Datasets.GetAsync(check.Data!);

        using var scope = global::TorchSharp.torch.NewDisposeScope();
        float[] means = dataset.Train.Held().Features.mean([0]).data<float>().ToArray();
        Assert.All(means, mean => Assert.InRange(mean, -1e-4, 1e-4));
        Assert.Equal("feature", dataset.Preprocessing.Axis);
        Assert.Equal(3, dataset.Preprocessing.FeatureMean.Length);
        Assert.InRange(dataset.Preprocessing.TargetMean![0], 9, 11);
        Assert.Equal(new[] { "x0", "x1", "x2" }, dataset.Preprocessing.FeatureNames);
    }

    [Fact]
    public async Task DataChangedAfterSubmission_FailsTheRunNamingTheFile_WithoutRetrying()
    {
        _harness.DataFiles.Put("c.csv", DataFiles.RegressionCsv(300));
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "c.csv", Label: "target", Task: LearningTask.Regression));
        using var fresh = new ExecutorHarness();
        fresh.DataFiles.Put("c.csv", DataFiles.RegressionCsv(300, seed: 7));

        var error = await Assert.ThrowsAsync<DatasetException>(() => fresh.Datasets.GetAsync(check.Data!));

        Assert.Contains("'c.csv'", error.Message, StringComparison.Ordinal);
        Assert.Contains(check.Data!.Sha256!, error.Message, StringComparison.Ordinal);
        fresh.DataFiles.Remove("c.csv");
        var gone = await Assert.ThrowsAsync<DatasetException>(() => fresh.Datasets.GetAsync(check.Data!));
        Assert.Contains("no file 'c.csv'", gone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACachedDataset_IsVerifiedByListingAlone_UntilAFileChangesInTheSameProcess()
    {
        _harness.DataFiles.Put("cache/a.csv", DataFiles.ClassificationCsv(200));
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "cache/a.csv", Label: "species", Categorical: ["colour"]));
        int readsAfterCheck = _harness.DataFiles.Reads;

        var first = await _harness.Datasets.GetAsync(check.Data!);
        var second = await _harness.Datasets.GetAsync(check.Data!);
        DatasetCheck again = await _harness.Datasets.CheckAsync(new DataSection(Source: "cache/a.csv", Label: "species", Categorical: ["colour"]));

        Assert.Same(first, second);
        Assert.Equal(check.Data!.Sha256, again.Data!.Sha256);
        Assert.Equal(readsAfterCheck, _harness.DataFiles.Reads);
        _harness.DataFiles.Put("cache/a.csv", DataFiles.ClassificationCsv(200, seed: 5));
        var changed = await Assert.ThrowsAsync<DatasetException>(() => _harness.Datasets.GetAsync(check.Data!));
        Assert.Contains("changed after submission", changed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSplits_AreASeededFunctionOfTheData_TheSameInEveryProcess()
    {
        _harness.DataFiles.Put("d.csv", DataFiles.ClassificationCsv(300));
        using var other = new ExecutorHarness();
        other.DataFiles.Put("d.csv", DataFiles.ClassificationCsv(300));
        var data = new DataSection(Source: "d.csv", Label: "species", Categorical: ["colour"], SplitSeed: 3);

        var here = await _harness.Datasets.GetAsync((await _harness.Datasets.CheckAsync(data)).Data!);
        var there = await other.Datasets.GetAsync((await other.Datasets.CheckAsync(data)).Data!);
        var reseeded = await _harness.Datasets.GetAsync((await _harness.Datasets.CheckAsync(data with { SplitSeed = 4 })).Data!);

        Assert.True(here.Validation.Held().Features.equal(there.Validation.Held().Features).all().item<bool>());
        Assert.True(here.Test.Held().Targets.equal(there.Test.Held().Targets).all().item<bool>());
        Assert.False(here.Validation.Held().Features.equal(reseeded.Validation.Held().Features).all().item<bool>());
    }

    private async Task<EvaluationMetrics> TrainAsync(DataSection data, int steps, EvaluationSplit split, ModelSection? model = null)
    {
        TrainingRecipe recipe = TrainingRecipe.From(TrainingSpecification.Create(
            data: data,
            model: model ?? new ModelSection("mlp"),
            optimizer: new OptimizerSection(OptimizerKind.Adam, LearningRate: 0.01),
            training: new TrainingSection(BatchSize: 32)).GetValueOrThrow());
        var start = await _harness.InitializeAsync("user-data", recipe);
        ChunkResult chunk = await _harness.ChunkAsync(recipe, start, "trained", 0, steps);
        Assert.True(double.IsFinite(chunk.MeanLoss));
        return (await _harness.Executor.EvaluateAsync(new EvaluateCommand(chunk.Checkpoint, recipe, split))).Metrics;
    }
}
