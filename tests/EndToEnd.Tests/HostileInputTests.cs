using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Every request in the corpus (BadRequests/, over sixty bodies: malformed JSON, wrong types, unknown fields,
/// out-of-range and non-finite numbers, unknown enumerations, absurd sizes, hostile run ids, huge strings and
/// bodies) gets a 4xx with field-level problem details, and nothing is scheduled or written; nor does any
/// management route answer a strange instance id with a 5xx.
/// </summary>
public sealed class HostileInputTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "BadRequests"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Corpus_HasAtLeastSixtyRequests() => Assert.True(Corpus().Count >= 60);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task BadRequest_Gets4xxNamingTheFieldAndChangesNothing(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "BadRequests", file);
        string[] parts = Path.GetFileNameWithoutExtension(file).Split('-', 3);
        int expectedStatus = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        string field = File.Exists(path + ".field") ? File.ReadAllText(path + ".field") : parts[2];
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri("/api/training", UriKind.Relative), content);

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(expectedStatus == (int)response.StatusCode, fixture.Unexpected(response, body, $"{expectedStatus} expected"));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(expectedStatus, problem.GetProperty("status").GetInt32());
        string[] fields = problem.GetProperty("errors").EnumerateObject().Select(property => property.Name).ToArray();
        // Field names over 64 characters are echoed shortened.
        Assert.Contains(fields, name => name == field || (field.Length > 64 && name == field[..64] + "..."));
        Assert.All(problem.GetProperty("errors").EnumerateObject(), property => Assert.All(property.Value.EnumerateArray(), rule => Assert.False(string.IsNullOrWhiteSpace(rule.GetString()))));

        await AssertNothingChangedAsync();
    }

    public static TheoryData<string> SweepCorpus()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "BadSweeps"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    /// <summary>
    /// Bad sweeps (BadSweeps/: unknown paths, empty choices, non-positive log-uniform bounds, grids past the limit,
    /// points or bounds that make an invalid run, η below 2, a grace period past the maximum, and more) get a 400
    /// naming the path and the rule, and nothing is scheduled or stored.
    /// </summary>
    [Theory]
    [MemberData(nameof(SweepCorpus))]
    public async Task BadSweep_Gets400NamingThePathAndChangesNothing(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "BadSweeps", file);
        string field = File.ReadAllText(path + ".field");
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri("/api/sweeps", UriKind.Relative), content);

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        JsonElement problem = JsonDocument.Parse(body).RootElement;
        string[] fields = problem.GetProperty("errors").EnumerateObject().Select(property => property.Name).ToArray();
        Assert.True(fields.Contains(field), $"expected {field} among {string.Join(", ", fields)}: {body}");
        Assert.All(problem.GetProperty("errors").EnumerateObject(), property => Assert.All(property.Value.EnumerateArray(), rule => Assert.False(string.IsNullOrWhiteSpace(rule.GetString()))));

        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("no-such-run")]
    [InlineData("UPPER")]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("%00")]
    [InlineData("a%0Ab")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public async Task ManagementRoutes_WithUnknownOrMalformedIds_Answer404Or400NeverA5xx(string instanceId)
    {
        (HttpMethod Method, string Path)[] routes =
        [
            (HttpMethod.Get, $"/runtime/webhooks/durabletask/instances/{instanceId}"),
            (HttpMethod.Delete, $"/runtime/webhooks/durabletask/instances/{instanceId}"),
            (HttpMethod.Post, $"/runtime/webhooks/durabletask/instances/{instanceId}/raiseEvent/stop"),
            (HttpMethod.Post, $"/runtime/webhooks/durabletask/instances/{instanceId}/terminate?reason=x"),
            (HttpMethod.Post, $"/runtime/webhooks/durabletask/instances/{instanceId}/suspend"),
            (HttpMethod.Post, $"/runtime/webhooks/durabletask/instances/{instanceId}/resume"),
            (HttpMethod.Get, $"/api/training/{instanceId}"),
            (HttpMethod.Post, $"/api/training/{instanceId}/stop"),
        ];
        foreach (var (method, path) in routes)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            using HttpResponseMessage response = await fixture.Http.SendAsync(request);
            // 404 for ids that could exist; the web server itself refuses a few (a NUL in the path) with 400.
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{method} {path} answered {(int)response.StatusCode}");
        }

        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("bad event")]
    [InlineData("x%2Fy")]
    public async Task RaiseEvent_WithAMalformedEventName_Answers4xx(string eventName)
    {
        using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri($"/runtime/webhooks/durabletask/instances/some-run/raiseEvent/{eventName}", UriKind.Relative), null);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    /// <summary>Model files a user might upload that cannot train on 1x28x28 images of 10 classes, and what the refusal says.</summary>
    public static TheoryData<string, string> BadModelFiles => new()
    {
        { "three-channels.pt", "fails on a batch of the data's shape [2, 1, 28, 28]" },
        { "tuple.pt", "returns a tuple of 2 values" },
        { "five-outputs.pt", "returns [2, 5]" },
        { "two-inputs.pt", "takes 2 inputs" },
        { "no-parameters.pt", "has no trainable parameters" },
        { "state-dict.pt", "is a PyTorch state dict: weights without the code that uses them" },
        { "text.pt", "is not a TorchScript file" },
        { "truncated.pt", "is truncated or damaged" },
    };

    [Theory]
    [MemberData(nameof(BadModelFiles))]
    public async Task BadModelFile_IsRefusedAtUploadAndAtSubmission_NamingTheProblem_AndChangesNothing(string file, string problem)
    {
        byte[] content = await BadModelFileAsync(file);
        var models = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("models");

        // Through the upload route: refused before anything is written. The data's shape is not known yet there,
        // so a file that only fails on the data's shape is stored, and refused when a run names it; so is a state
        // dict, which the store keeps for runs to start from (model.initFrom), not to train as the model.
        using HttpResponseMessage upload = await fixture.Http.PutBytesAsync(new Uri($"/api/models/{file}", UriKind.Relative), content);
        string uploadAnswer = await upload.Content.ReadAsStringAsync();
        bool storedAnyway = file is "three-channels.pt" or "tuple.pt" or "five-outputs.pt" or "state-dict.pt";
        Assert.True(storedAnyway ? upload.StatusCode == HttpStatusCode.Created : upload.StatusCode == HttpStatusCode.BadRequest, $"{(int)upload.StatusCode}: {uploadAnswer}");
        if (!storedAnyway)
        {
            Assert.Contains(problem, uploadAnswer, StringComparison.Ordinal);
            Assert.False(await models.GetBlobClient(file).ExistsAsync(), "a refused upload left a blob behind");
        }

        // Written by any blob tool, then named by a run: refused at submission under model.file.
        await models.CreateIfNotExistsAsync();
        await models.GetBlobClient(file).UploadAsync(new BinaryData(content), overwrite: true);
        try
        {
            using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
                $$$"""{"runId":"hostile-file","data":{"dataset":"synthetic"},"model":{"file":"{{{file}}}"}}""");
            string answer = await start.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
            JsonElement errors = JsonDocument.Parse(answer).RootElement.GetProperty("errors");
            Assert.Contains(problem, errors.GetProperty("model.file")[0].GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await models.DeleteBlobIfExistsAsync(file);
        }

        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task ModelUpload_OverTheSizeLimitOrUnderAPathName_IsRefusedAndWritesNothing()
    {
        using HttpResponseMessage huge = await fixture.Http.PutBytesAsync(new Uri("/api/models/huge.pt", UriKind.Relative),
            new byte[Application.Ports.ModelFileLimits.MaxBytes + 1]);
        using HttpResponseMessage spaced = await fixture.Http.PutBytesAsync(new Uri("/api/models/my%20net.pt", UriKind.Relative), [1]);
        using HttpResponseMessage climbing = await fixture.Http.PutBytesAsync(new Uri("/api/models/..%2Fcheckpoints%2Fx.pt", UriKind.Relative), [1]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains($"must be at most {Application.Ports.ModelFileLimits.MaxBytes} bytes", await huge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, spaced.StatusCode);
        Assert.Contains("must be a plain file name", await spaced.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(climbing.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)climbing.StatusCode}");
        await AssertNothingChangedAsync();
    }

    /// <summary>The data files in BadData/, each with the label it is submitted with, the field and what the refusal must say (BadData/expectations.txt).</summary>
    public static TheoryData<string, string, string, string> BadDataFiles()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (string line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "BadData", "expectations.txt")).Where(line => line.Length > 0 && line[0] != '#'))
        {
            string[] parts = line.Split('|', StringSplitOptions.TrimEntries);
            data.Add(parts[0], parts[1], parts[2], parts[3]);
        }

        return data;
    }

    [Fact]
    public void BadDataCorpus_CoversEveryFileInTheFolder() =>
        Assert.Equal(
            Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "BadData")).Select(Path.GetFileName).Where(name => name != "expectations.txt").Order(StringComparer.Ordinal),
            BadDataFiles().Select(row => (string)row[0]).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(BadDataFiles))]
    public async Task BadDataFile_IsRefusedAtSubmission_NamingTheFileAndTheRule_AndNoRunStarts(string file, string label, string field, string problem)
    {
        // Written by a blob tool (an empty file cannot go through the upload route), then named by a run.
        var datasets = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("datasets");
        await datasets.CreateIfNotExistsAsync();
        // An image goes into a class folder of an image folder, which is what a run names.
        bool image = file.EndsWith(".png", StringComparison.Ordinal);
        string path = image ? $"hostile-images/a/{file}" : $"hostile/{file}";
        string source = image ? "hostile-images/" : path;
        await datasets.GetBlobClient(path).UploadAsync(new BinaryData(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "BadData", file))), overwrite: true);
        string labelField = label.Length == 0 ? string.Empty : $$$""","label":"{{{label}}}" """;

        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            $$$"""{"runId":"hostile-data","data":{"source":"{{{source}}}"{{{labelField}}}}}""");
        string answer = await start.Content.ReadAsStringAsync();

        Assert.True(start.StatusCode == HttpStatusCode.BadRequest, answer);
        string rule = JsonDocument.Parse(answer).RootElement.GetProperty("errors").GetProperty(field)[0].GetString()!;
        Assert.Contains($"'{path}", rule, StringComparison.Ordinal);
        Assert.Contains(problem, rule, StringComparison.Ordinal);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("ragged-row.csv", "line 3: the row has 2 values but the header names 3 columns")]
    [InlineData("non-numeric.csv", "line 3, column 'b': 'oops' is not a number")]
    [InlineData("nan-value.csv", "line 3, feature 1: the value NaN is not finite")]
    [InlineData("missing-label.csv", "has no label column 'label'")]
    [InlineData("header-only.csv", "has a header but no rows")]
    public async Task BadShard_AmongGoodOnes_IsRefusedAtSubmission_NamingTheShard_AndNoRunStarts(string file, string problem)
    {
        var datasets = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("datasets");
        await datasets.CreateIfNotExistsAsync();
        string folder = $"hostile-shards-{Path.GetFileNameWithoutExtension(file)}/";
        foreach (string good in new[] { "good-0.csv", "good-1.csv", "test.csv", "validation.csv" })
        {
            await datasets.GetBlobClient(folder + good).UploadAsync(new BinaryData("a,b,label\n1,2,x\n3,4,y\n5,6,x\n"u8.ToArray()), overwrite: true);
        }

        await datasets.GetBlobClient(folder + file).UploadAsync(new BinaryData(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "BadData", file))), overwrite: true);

        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            $$$"""{"runId":"hostile-shards","data":{"source":"{{{folder}}}","sharded":true,"label":"label","test":"{{{folder}}}test.csv","validation":"{{{folder}}}validation.csv"}}""");
        string answer = await start.Content.ReadAsStringAsync();

        Assert.True(start.StatusCode == HttpStatusCode.BadRequest, answer);
        string rule = JsonDocument.Parse(answer).RootElement.GetProperty("errors").GetProperty("data.source")[0].GetString()!;
        Assert.Contains($"'{folder}{file}'", rule, StringComparison.Ordinal);
        Assert.Contains(problem, rule, StringComparison.Ordinal);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task DataUpload_UnderAClimbingOrHiddenPath_OrEmpty_IsRefusedAndWritesNothing()
    {
        using HttpResponseMessage hidden = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/.secret/x.csv", UriKind.Relative), [1]);
        using HttpResponseMessage climbing = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/a/..%2F..%2Fcheckpoints%2Fx", UriKind.Relative), [1]);
        using HttpResponseMessage empty = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/empty.csv", UriKind.Relative), []);
        using HttpResponseMessage folder = await fixture.Http.PutBytesAsync(new Uri("/api/datasets/folder/", UriKind.Relative), [1]);

        Assert.Equal(HttpStatusCode.BadRequest, hidden.StatusCode);
        Assert.Contains("must be a path in the container", await hidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(climbing.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)climbing.StatusCode}");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.True(folder.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)folder.StatusCode}");
        var datasets = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("datasets");
        foreach (string name in new[] { ".secret/x.csv", "empty.csv", "checkpoints/x", "folder/" })
        {
            Assert.False(await datasets.GetBlobClient(name).ExistsAsync(), $"a refused upload left datasets/{name}");
        }

        await AssertNothingChangedAsync();
    }

    private static async Task<byte[]> BadModelFileAsync(string file)
    {
        if (file == "text.pt")
        {
            return "def forward(x): return x  # a Python file, not TorchScript"u8.ToArray();
        }

        byte[] content = await File.ReadAllBytesAsync(TestSupport.TorchScriptFiles.PathOf(file == "truncated.pt" ? "cnn.pt" : file));
        return file == "truncated.pt" ? content[..(content.Length * 2 / 3)] : content;
    }

    private async Task AssertNothingChangedAsync()
    {
        using HttpResponseMessage list = await fixture.Http.GetAsync(new Uri("/api/training?top=100", UriKind.Relative));
        Assert.Equal(0, JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        using HttpResponseMessage sweeps = await fixture.Http.GetAsync(new Uri("/api/sweeps?top=100", UriKind.Relative));
        Assert.Equal(0, JsonDocument.Parse(await sweeps.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        foreach (string name in new[] { "checkpoints", "models", "sweeps" })
        {
            var container = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient(name);
            if (await container.ExistsAsync())
            {
                await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
                {
                    Assert.Fail($"A bad request left a blob behind: {name}/{blob.Name}");
                }
            }
        }
    }
}
