using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;

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

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(expectedStatus, problem.GetProperty("status").GetInt32());
        string[] fields = problem.GetProperty("errors").EnumerateObject().Select(property => property.Name).ToArray();
        // Field names over 64 characters are echoed shortened.
        Assert.Contains(fields, name => name == field || (field.Length > 64 && name == field[..64] + "..."));
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

    private async Task AssertNothingChangedAsync()
    {
        using HttpResponseMessage list = await fixture.Http.GetAsync(new Uri("/api/training?top=100", UriKind.Relative));
        Assert.Equal(0, JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        var container = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("checkpoints");
        if (await container.ExistsAsync())
        {
            await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
            {
                Assert.Fail($"A bad request left a blob behind: {blob.Name}");
            }
        }
    }
}
