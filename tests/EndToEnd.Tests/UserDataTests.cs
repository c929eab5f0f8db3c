using System.Net.Http.Json;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Users' own data through the real worker and Azurite, as <c>dtrain train --data-file</c> uploads it: a CSV table
/// with a categorical column (classification), a regression CSV, and a NumPy archive; each trains, is tested on its
/// held-out split, and its --json line carries the task's test metrics. Bad data is refused at submission.
/// </summary>
public sealed class UserDataTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private string Server => fixture.Worker.BaseAddress.ToString().TrimEnd('/');

    private string Folder(string name)
    {
        string folder = Path.Combine(fixture.Azurite.WorkDirectory, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task Csv_Classification_UploadedTrainedAndTested_WithPinnedDataAndTheMlpByDefault()
    {
        string folder = Folder("csv-classification");
        string train = Path.Combine(folder, "iris-like.csv");
        await File.WriteAllTextAsync(train, DataFiles.ClassificationCsv(1200));

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "csv-classes", "--data-file", train, "--label", "species",
            "--categorical", "colour", "--epochs", "2", "--batch-size", "32", "--learning-rate", "0.01", "--steps-per-chunk", "30", "--evaluation-interval-steps", "20", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.OutLines, line => line.StartsWith("Uploaded iris-like.csv (1 file, ", StringComparison.Ordinal));
        JsonElement line = JsonDocument.Parse(run.OutLines[^1]).RootElement;
        Assert.Equal("Completed", line.GetProperty("outcome").GetString());
        Assert.Equal("accuracy", line.GetProperty("monitoredMetric").GetString());
        Assert.InRange(line.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        Assert.InRange(line.GetProperty("validation").GetProperty("accuracy").GetDouble(), 0.85, 1.0);
        JsonElement specification = (await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/runtime/webhooks/durabletask/instances/csv-classes", UriKind.Relative)))
            .GetProperty("input").GetProperty("specification");
        JsonElement data = specification.GetProperty("data");
        Assert.StartsWith("uploads/", data.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal(64, data.GetProperty("sha256").GetString()!.Length);
        Assert.Equal("classification", data.GetProperty("task").GetString());
        // No model given and table rows for input: the default for the shape is the MLP.
        Assert.Equal("mlp", specification.GetProperty("model").GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task Csv_Regression_ReportsRmseMaeAndR2_OnTheGivenTestFile()
    {
        string folder = Folder("csv-regression");
        string train = Path.Combine(folder, "houses.csv");
        string test = Path.Combine(folder, "houses-test.csv");
        await File.WriteAllTextAsync(train, DataFiles.RegressionCsv(1500));
        await File.WriteAllTextAsync(test, DataFiles.RegressionCsv(300, seed: 11));

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "csv-regression", "--data-file", train, "--test-file", test,
            "--label", "target", "--task", "regression", "--model", "mlp", "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.01",
            "--steps-per-chunk", "50", "--evaluation-interval-steps", "50", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        JsonElement line = JsonDocument.Parse(run.OutLines[^1]).RootElement;
        Assert.Equal("rmse", line.GetProperty("monitoredMetric").GetString());
        JsonElement testMetrics = line.GetProperty("test");
        Assert.InRange(testMetrics.GetProperty("rmse").GetDouble(), 0, 0.8);
        Assert.InRange(testMetrics.GetProperty("r2").GetDouble(), 0.9, 1);
        Assert.True(testMetrics.GetProperty("mae").GetDouble() <= testMetrics.GetProperty("rmse").GetDouble());
        Assert.False(testMetrics.TryGetProperty("accuracy", out _));
        Assert.Contains(run.OutLines, text => text.StartsWith("Test: rmse ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Parquet_Binary_ReportsAccuracyAndAuc()
    {
        string folder = Folder("parquet-binary");
        string train = Path.Combine(folder, "churn.parquet");
        await File.WriteAllBytesAsync(train, DataFiles.Parquet(DataFiles.BinaryCsv(1000), "churned"));

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "parquet-binary", "--data-file", train, "--label", "churned",
            "--task", "binary", "--epochs", "2", "--batch-size", "32", "--learning-rate", "0.01", "--steps-per-chunk", "30", "--evaluation-interval-steps", "30", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        JsonElement test = JsonDocument.Parse(run.OutLines[^1]).RootElement.GetProperty("test");
        Assert.InRange(test.GetProperty("auc").GetDouble(), 0.9, 1.0);
        Assert.InRange(test.GetProperty("accuracy").GetDouble(), 0.8, 1.0);
    }

    [Fact]
    public async Task ImageFolder_UploadedWithDataDir_ResizedToTheDeclaredSize_TrainsTheCnn()
    {
        string folder = Folder("image-folder");
        string[] classes = ["tl", "tr", "bl", "br"];
        for (int n = 0; n < 400; n++)
        {
            string classFolder = Path.Combine(folder, "images", classes[n % 4]);
            Directory.CreateDirectory(classFolder);
            await File.WriteAllBytesAsync(Path.Combine(classFolder, $"{n:D3}.png"), DataFiles.QuadrantImage(n % 4, 16 + (n % 3), 16, gray: false, seed: n));
        }

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "image-folder", "--data-dir", Path.Combine(folder, "images"),
            "--image-size", "12", "--channels", "3", "--epochs", "2", "--batch-size", "32", "--steps-per-chunk", "20", "--evaluation-interval-steps", "20", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.OutLines, line => line.StartsWith("Uploaded images (400 files, ", StringComparison.Ordinal));
        JsonElement line = JsonDocument.Parse(run.OutLines[^1]).RootElement;
        Assert.InRange(line.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        JsonElement specification = (await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/runtime/webhooks/durabletask/instances/image-folder", UriKind.Relative)))
            .GetProperty("input").GetProperty("specification");
        Assert.EndsWith("/", specification.GetProperty("data").GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal("cnn", specification.GetProperty("model").GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task NpzShards_Sharded_StreamThroughTheWorker_HoldingOutWholeShards()
    {
        string folder = Folder("npz-shards");
        string shards = Path.Combine(folder, "shards");
        Directory.CreateDirectory(shards);
        (float[] features, long[] labels) = DataFiles.QuadrantImages(1000);
        for (int shard = 0; shard < 10; shard++)
        {
            await File.WriteAllBytesAsync(Path.Combine(shards, $"part-{shard:D2}.npz"), DataFiles.Npz(
                ("x", DataFiles.Npy(features.Skip(shard * 100 * 64).Take(100 * 64).ToArray(), 100, 1, 8, 8)),
                ("y", DataFiles.Npy(labels.Skip(shard * 100).Take(100).ToArray(), 100))));
        }

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "npz-shards", "--data-dir", shards, "--sharded",
            "--epochs", "3", "--batch-size", "32", "--steps-per-chunk", "25", "--evaluation-interval-steps", "25", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.OutLines, line => line.StartsWith("Uploaded shards (10 files, ", StringComparison.Ordinal));
        JsonElement line = JsonDocument.Parse(run.OutLines[^1]).RootElement;
        Assert.Equal("Completed", line.GetProperty("outcome").GetString());
        Assert.InRange(line.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        JsonElement data = (await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/runtime/webhooks/durabletask/instances/npz-shards", UriKind.Relative)))
            .GetProperty("input").GetProperty("specification").GetProperty("data");
        Assert.True(data.GetProperty("sharded").GetBoolean());
    }

    [Fact]
    public async Task Npz_Images_TrainTheCnnByDefault()
    {
        string folder = Folder("npz-images");
        string archive = Path.Combine(folder, "quadrants.npz");
        (float[] features, long[] labels) = DataFiles.QuadrantImages(800);
        await File.WriteAllBytesAsync(archive, DataFiles.Npz(("x", DataFiles.Npy(features, 800, 1, 8, 8)), ("y", DataFiles.Npy(labels, 800))));

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "npz-images", "--data-file", archive,
            "--epochs", "2", "--batch-size", "32", "--steps-per-chunk", "40", "--evaluation-interval-steps", "40", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        JsonElement line = JsonDocument.Parse(run.OutLines[^1]).RootElement;
        Assert.InRange(line.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        JsonElement model = (await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/runtime/webhooks/durabletask/instances/npz-images", UriKind.Relative)))
            .GetProperty("input").GetProperty("specification").GetProperty("model");
        Assert.Equal("cnn", model.GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task BadCsv_IsRefusedAtSubmission_NamingTheFileLineAndColumn_AndNoRunStarts()
    {
        string folder = Folder("csv-bad");
        string train = Path.Combine(folder, "broken.csv");
        await File.WriteAllTextAsync(train, "a,b,label\n1,2,x\n3,oops,y\n");

        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "csv-bad", "--data-file", train, "--label", "label");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("data.source", run.Error, StringComparison.Ordinal);
        Assert.Contains("broken.csv' line 3, column 'b': 'oops' is not a number", run.Error, StringComparison.Ordinal);
        var status = await fixture.Http.GetAsync(new Uri("/runtime/webhooks/durabletask/instances/csv-bad", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, status.StatusCode);
    }
}
