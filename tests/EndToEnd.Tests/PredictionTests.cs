using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Using a trained run through the real worker and Azurite: rows predicted at once by the predict route, and a
/// batch prediction job whose parts land in blob storage with a manifest, the same bytes on a second job, and the
/// task's metrics when the rows carry labels. Bad input is refused naming the row and column, and starts nothing.
/// </summary>
public sealed class PredictionTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private const string Run = "predict-csv";

    private string Server => fixture.Worker.BaseAddress.ToString().TrimEnd('/');

    private async Task TrainAsync()
    {
        string folder = Path.Combine(fixture.Azurite.WorkDirectory, "predict");
        Directory.CreateDirectory(folder);
        string train = Path.Combine(folder, "train.csv");
        await File.WriteAllTextAsync(train, DataFiles.ClassificationCsv(600));
        DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", Run, "--data-file", train, "--label", "species",
            "--categorical", "colour", "--epochs", "2", "--batch-size", "32", "--learning-rate", "0.01", "--steps-per-chunk", "40", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    private static readonly SemaphoreSlim Trained = new(1, 1);
    private static bool _trained;

    private async Task EnsureTrainedAsync()
    {
        await Trained.WaitAsync();
        try
        {
            if (!_trained)
            {
                await TrainAsync();
                _trained = true;
            }
        }
        finally
        {
            Trained.Release();
        }
    }

    [Fact]
    public async Task PredictRoute_AnswersEachRowsClassAndProbabilities_AndNamesIgnoredColumns()
    {
        await EnsureTrainedAsync();
        string body = """{"rows":[{"x0":3.1,"x1":0.2,"x2":-0.1,"x3":3.0,"colour":"red","note":"a"},{"x0":0,"x1":3.2,"x2":0.1,"x3":0,"colour":"blue","note":"b"}]}""";

        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri($"/api/training/{Run}/predict", UriKind.Relative), body);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        JsonElement answer = JsonDocument.Parse(text).RootElement;
        Assert.Equal("classification", answer.GetProperty("task").GetString());
        Assert.Equal(["class-a", "class-b", "class-c"], answer.GetProperty("classes").EnumerateArray().Select(name => name.GetString()!).ToArray());
        JsonElement[] predictions = [.. answer.GetProperty("predictions").EnumerateArray()];
        Assert.Equal("class-a", predictions[0].GetProperty("prediction").GetString());
        Assert.Equal("class-b", predictions[1].GetProperty("prediction").GetString());
        foreach (JsonElement prediction in predictions)
        {
            Assert.Equal(1.0, prediction.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 4);
        }

        Assert.Equal(["note"], answer.GetProperty("ignoredColumns").EnumerateArray().Select(name => name.GetString()!).ToArray());
    }

    [Theory]
    [InlineData("""{"rows":[{"x0":1,"x1":1,"x2":1,"x3":1,"colour":"red"},{"x0":1,"x1":1,"x2":1,"colour":"red"}]}""", "rows[1].x3", "is missing")]
    [InlineData("""{"rows":[{"x0":1,"x1":1,"x2":1,"x3":1,"colour":"purple"}]}""", "rows", "rows[0], column 'colour': the category 'purple' was not in the training data")]
    [InlineData("""{"rows":[{"x0":"abc","x1":1,"x2":1,"x3":1,"colour":"red"}]}""", "rows", "rows[0], column 'x0': 'abc' is not a number")]
    [InlineData("""{"rows":[]}""", "rows", "must hold 1 to 1000 rows")]
    [InlineData("""{"rows":[{"x0":1,"x1":1,"x2":1,"x3":1,"colour":"red"}],"checkpoint":"newest"}""", "checkpoint", "must be final or best")]
    public async Task PredictRoute_RefusesBadRows_NamingTheRowAndColumn(string body, string field, string rule)
    {
        await EnsureTrainedAsync();

        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri($"/api/training/{Run}/predict", UriKind.Relative), body);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        JsonElement errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out JsonElement rules), text);
        Assert.Contains(rule, rules[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchJob_WritesPartsInInputOrderWithAManifestAndMetrics_AndTheSameBytesTwice()
    {
        await EnsureTrainedAsync();
        string rows = WithIds(DataFiles.ClassificationCsv(250, seed: 7));
        using (HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/score/new.csv", UriKind.Relative), Encoding.UTF8.GetBytes(rows)))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        JsonElement first = await PredictAsync("score-once", """"{"predictionId":"score-once","model":{"run":"predict-csv"},"data":{"source":"score/new.csv","idColumn":"id"},"rowsPerPart":100}"""");
        JsonElement second = await PredictAsync("score-twice", """"{"predictionId":"score-twice","model":{"run":"predict-csv"},"data":{"source":"score/new.csv","idColumn":"id"},"rowsPerPart":100,"parallelism":1}"""");

        JsonElement manifest = first.GetProperty("manifest");
        Assert.Equal(250, manifest.GetProperty("rows").GetInt64());
        JsonElement[] parts = [.. manifest.GetProperty("parts").EnumerateArray()];
        Assert.Equal(["part-00000.csv", "part-00001.csv", "part-00002.csv"], parts.Select(part => part.GetProperty("path").GetString()!).ToArray());
        Assert.Equal([100L, 100L, 50L], parts.Select(part => part.GetProperty("rows").GetInt64()).ToArray());
        Assert.Equal(
            parts.Select(part => part.GetProperty("sha256").GetString()).ToArray(),
            second.GetProperty("manifest").GetProperty("parts").EnumerateArray().Select(part => part.GetProperty("sha256").GetString()).ToArray());
        Assert.InRange(manifest.GetProperty("metrics").GetProperty("scores").GetProperty("accuracy").GetDouble(), 0.85, 1.0);
        Assert.Equal(3, first.GetProperty("progress").GetProperty("partsDone").GetInt32());

        BlobContainerClient container = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("predictions");
        var csv = new StringBuilder();
        foreach (JsonElement part in parts)
        {
            byte[] content = (await container.GetBlobClient("score-once/" + part.GetProperty("path").GetString()).DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(part.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(content)));
            csv.Append(Encoding.UTF8.GetString(content));
        }

        string[] lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,prediction,probability_class-a,probability_class-b,probability_class-c", lines[0]);
        string[] inputIds = [.. rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(',')[0])];
        string[] outputIds = [.. lines.Where(line => !line.StartsWith("id,", StringComparison.Ordinal)).Select(line => line.Split(',')[0])];
        Assert.Equal(inputIds, outputIds);
        Assert.NotNull(await container.GetBlobClient("score-once/manifest.json").DownloadContentAsync());
    }

    [Fact]
    public async Task DtrainExport_FormatOnnx_WritesTheRunsOnnxFile_WithItsPreprocessing()
    {
        await EnsureTrainedAsync();
        string folder = Path.Combine(fixture.Azurite.WorkDirectory, "onnx-export");

        DtrainProcess export = await DtrainProcess.RunAsync("export", Run, "--server", Server, "--format", "onnx", "-o", folder);

        Assert.True(export.ExitCode == 0, export.ToString());
        byte[] onnx = await File.ReadAllBytesAsync(Path.Combine(folder, Run + ".onnx"));
        string text = Encoding.UTF8.GetString(onnx);
        Assert.Equal(0x08, onnx[0]);
        Assert.Contains("durabletrainer.preprocessing", text, StringComparison.Ordinal);
        Assert.Contains("colour=red", text, StringComparison.Ordinal);
        Assert.Contains("Gemm", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DtrainPredict_UploadsTheRows_AndWritesOnePredictionFile_InCsvAndNpy()
    {
        await EnsureTrainedAsync();
        string folder = Path.Combine(fixture.Azurite.WorkDirectory, "predict-cli");
        Directory.CreateDirectory(folder);
        string rows = Path.Combine(folder, "rows.csv");
        await File.WriteAllTextAsync(rows, WithIds(DataFiles.ClassificationCsv(130, seed: 9)));
        string csv = Path.Combine(folder, "out.csv");
        string npy = Path.Combine(folder, "out.npy");

        DtrainProcess toCsv = await DtrainProcess.RunAsync("predict", Run, "--server", Server, "--data-file", rows, "--id-column", "id", "--rows-per-part", "50", "-o", csv, "--json");
        DtrainProcess toNpy = await DtrainProcess.RunAsync("predict", Run, "--server", Server, "--data-file", rows, "--format", "npy", "--rows-per-part", "50", "-o", npy);

        Assert.True(toCsv.ExitCode == 0, toCsv.ToString());
        Assert.True(toNpy.ExitCode == 0, toNpy.ToString());
        string[] lines = await File.ReadAllLinesAsync(csv);
        Assert.Equal(131, lines.Length);
        Assert.StartsWith("id,prediction,probability_class-a", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("row-0129,", lines[^1], StringComparison.Ordinal);
        JsonElement line = JsonDocument.Parse(toCsv.OutLines[^1]).RootElement;
        Assert.Equal("Completed", line.GetProperty("status").GetString());
        Assert.Equal(130, line.GetProperty("rows").GetInt64());
        Assert.Equal(3, line.GetProperty("parts").GetInt32());
        Assert.InRange(line.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        byte[] array = await File.ReadAllBytesAsync(npy);
        string header = Encoding.ASCII.GetString(array, 10, BitConverter.ToUInt16(array, 8));
        Assert.Contains("'descr': '<f4'", header, StringComparison.Ordinal);
        Assert.Contains("'shape': (130, 3)", header, StringComparison.Ordinal);
        Assert.Equal(10 + header.Length + (130 * 3 * 4), array.Length);
    }

    [Fact]
    public async Task ARunWithoutAFinalCheckpoint_Answers409_ToTheRouteAndToAJob_AndStartsNothing()
    {
        using (HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            """{"runId":"still-training","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":1000000},"execution":{"stepsPerChunk":50}}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        }

        try
        {
            using HttpResponseMessage rows = await fixture.Http.PostJsonAsync(new Uri("/api/training/still-training/predict", UriKind.Relative), """{"rows":[[0.5]]}""");
            using HttpResponseMessage job = await fixture.Http.PostJsonAsync(new Uri("/api/predictions", UriKind.Relative),
                """{"predictionId":"too-early","model":{"run":"still-training"},"data":{"source":"score/new.csv"}}""");

            Assert.Equal(HttpStatusCode.Conflict, rows.StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, job.StatusCode);
            Assert.Contains("has no final checkpoint", await job.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using HttpResponseMessage status = await fixture.Http.GetAsync(new Uri("/api/predictions/too-early", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        }
        finally
        {
            using HttpResponseMessage terminate = await fixture.Http.PostAsync(new Uri("/runtime/webhooks/durabletask/instances/still-training/terminate?reason=test", UriKind.Relative), null);
        }
    }

    [Theory]
    [InlineData("""{"model":{"run":"predict-csv"},"data":{"source":"score/missing.csv"}}""", "data.source", "there is no file 'score/missing.csv'")]
    [InlineData("""{"model":{"run":"predict-csv"},"data":{"source":"score/new.csv"},"output":{"path":"../up"}}""", "output.path", "must be a folder in the container")]
    [InlineData("""{"model":{"run":"predict-csv"},"data":{"source":"score/new.csv","testFraction":0.2}}""", "data.testFraction", "is a training setting")]
    [InlineData("""{"model":{"run":"no-such-run"},"data":{"source":"score/new.csv"}}""", "model.run", "names no run")]
    [InlineData("""{"model":{"run":"predict-csv"},"data":{"source":"score/new.csv"},"output":{"fromat":"csv"}}""", "output.fromat", "is not a known field")]
    public async Task BatchJob_RefusesBadRequests_NamingTheField(string body, string field, string rule)
    {
        await EnsureTrainedAsync();
        using (HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/score/new.csv", UriKind.Relative), Encoding.UTF8.GetBytes(WithIds(DataFiles.ClassificationCsv(20, seed: 7)))))
        {
            Assert.True(put.IsSuccessStatusCode);
        }

        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri("/api/predictions", UriKind.Relative), body);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        JsonElement errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out JsonElement rules), text);
        Assert.Contains(rule, rules[0].GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> PredictAsync(string id, string body)
    {
        using HttpResponseMessage started = await fixture.Http.PostJsonAsync(new Uri("/api/predictions", UriKind.Relative), body);
        string text = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, text);
        Assert.Equal(id, JsonDocument.Parse(text).RootElement.GetProperty("id").GetString());
        JsonElement status = await StatusPolling.UntilAsync(fixture.Http, $"/api/predictions/{id}", job => job.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated", TimeSpan.FromMinutes(3));
        Assert.True(status.GetProperty("runtimeStatus").GetString() == "Completed", status.ToString());
        return status;
    }

    private static string WithIds(string csv)
    {
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return "id," + lines[0] + "\n" + string.Join("\n", lines.Skip(1).Select((line, row) => $"row-{row:D4},{line}")) + "\n";
    }
}
