using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Every prediction request in the corpus (BadPredictions/: missing or unknown sections and fields, rows with unseen
/// categories, missing columns, non-finite or non-numeric values, no rows, arrays for a table's model, paths that
/// climb or hold control characters, limits, hostile ids, a run that does not exist) gets a 4xx with problem details
/// naming the field, and no job is started and nothing is written.
/// </summary>
public sealed class PredictionHostileInputTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private static readonly SemaphoreSlim Prepared = new(1, 1);
    private static WorkerFixture? _preparedFor;

    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "BadPredictions"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Corpus_HasAtLeastFortyRequests() => Assert.True(Corpus().Count >= 40);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task BadPrediction_Gets4xxNamingTheFieldAndStartsNothing(string file)
    {
        await PrepareAsync();
        string path = Path.Combine(AppContext.BaseDirectory, "BadPredictions", file);
        string[] parts = Path.GetFileNameWithoutExtension(file).Split('-', 3);
        int expectedStatus = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri("/api/predictions", UriKind.Relative), content);

        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(body).RootElement;
        string[] fields = [.. problem.GetProperty("errors").EnumerateObject().Select(property => property.Name)];
        Assert.True(fields.Contains(parts[2]), $"expected {parts[2]} among {string.Join(", ", fields)}: {body}");
        Assert.All(problem.GetProperty("errors").EnumerateObject(), property => Assert.All(property.Value.EnumerateArray(), rule => Assert.False(string.IsNullOrWhiteSpace(rule.GetString()))));

        using HttpResponseMessage jobs = await fixture.Http.GetAsync(new Uri("/api/predictions?top=100", UriKind.Relative));
        Assert.Equal(0, JsonDocument.Parse(await jobs.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        BlobContainerClient predictions = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("predictions");
        if (await predictions.ExistsAsync())
        {
            await foreach (var blob in predictions.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
            {
                Assert.Fail($"A bad request left a blob behind: predictions/{blob.Name}");
            }
        }
    }

    /// <summary>The run the corpus names, and the files it reads, once per fixture.</summary>
    private async Task PrepareAsync()
    {
        await Prepared.WaitAsync();
        try
        {
            if (ReferenceEquals(_preparedFor, fixture))
            {
                return;
            }

            string folder = Path.Combine(fixture.Azurite.WorkDirectory, "hostile-predictions");
            Directory.CreateDirectory(folder);
            string train = Path.Combine(folder, "train.csv");
            await File.WriteAllTextAsync(train, DataFiles.ClassificationCsv(300));
            DtrainProcess run = await DtrainProcess.RunAsync("train", "--server", fixture.Worker.BaseAddress.ToString().TrimEnd('/'), "--run-id", "hostile-run",
                "--data-file", train, "--label", "species", "--categorical", "colour", "--max-steps", "20", "--steps-per-chunk", "20");
            Assert.True(run.ExitCode == 0, run.ToString());
            await PutAsync("p/good.csv", DataFiles.ClassificationCsv(20, seed: 2));
            await PutAsync("p/purple.csv", "x0,x1,x2,x3,colour\n1,2,3,4,red\n1,2,3,4,purple\n");
            await PutAsync("p/narrow.csv", "x0,x1,x2,colour\n1,2,3,red\n");
            await PutAsync("p/nan.csv", "x0,x1,x2,x3,colour\n1,2,3,4,red\nnan,2,3,4,red\n");
            await PutAsync("p/text.csv", "x0,x1,x2,x3,colour\n1,2,abc,4,red\n");
            await PutAsync("p/empty.csv", "x0,x1,x2,x3,colour\n");
            await PutAsync("p/arrays.npy", DataFiles.Npy(new float[12], 3, 4));
            _preparedFor = fixture;
        }
        finally
        {
            Prepared.Release();
        }
    }

    private Task PutAsync(string path, string text) => PutAsync(path, Encoding.UTF8.GetBytes(text));

    private async Task PutAsync(string path, byte[] content)
    {
        using HttpResponseMessage put = await fixture.Http.PutBytesAsync(new Uri($"/api/datasets/{path}", UriKind.Relative), content);
        Assert.True(put.StatusCode == HttpStatusCode.Created, await put.Content.ReadAsStringAsync());
    }
}
