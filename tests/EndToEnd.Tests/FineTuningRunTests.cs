using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Runs that start from existing weights, on a real worker and Azurite: from another run's final checkpoint with a
/// frozen layer (SIGKILLed midway, ending bitwise where an undisturbed run ends), and from a state dict that Debian's
/// PyTorch saved with <c>torch.save</c>.
/// </summary>
public sealed class FineTuningRunTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private const string Mlp = """{"architecture":"mlp","parameters":{"hiddenUnits":16}}""";

    [Fact]
    public async Task ARunFromAnothersCheckpointWithAFrozenLayer_StartsWhereItEnded_KeepsTheLayer_AndEndsBitwiseAcrossAKill()
    {
        await StartAsync($$"""{"runId":"ft-source","data":{"dataset":"synthetic"},"model":{{Mlp}},"training":{"maxSteps":60,"batchSize":32},"evaluation":{"intervalSteps":60},"execution":{"stepsPerChunk":60} }""");
        await WaitForEndAsync("ft-source");

        // No model or data named: the source run's are used; the optimizer starts fresh.
        string Tune(string runId, int stepsPerChunk) =>
            $$"""{"runId":"{{runId}}","model":{"initFrom":{"run":"ft-source"},"freeze":["fc1"]},"training":{"maxSteps":90,"batchSize":32,"seed":3},"evaluation":{"intervalSteps":30},"execution":{"stepsPerChunk":{{stepsPerChunk}}} }""";
        await StartAsync(Tune("ft-whole", 90));
        (JsonElement done, _) = await ResumeAcrossAKill.FinishSplitRunInANewProcessAsync(
            fixture, "ft-whole", async attempt => await StartAsync(Tune($"ft-split-{attempt}", 30)), step: 30, "ft-replacement.log");
        string split = done.GetProperty("instanceId").GetString()!;

        JsonElement model = done.GetProperty("input").GetProperty("specification").GetProperty("model");
        Assert.Equal("mlp", model.GetProperty("architecture").GetString());
        Assert.False(model.GetProperty("initFrom").TryGetProperty("continues", out _), "a run with a frozen layer is a new run from the weights");
        Assert.StartsWith("round-", model.GetProperty("initFrom").GetProperty("checkpointName").GetString(), StringComparison.Ordinal);

        // Validated before its first step: the source's last validation, to the bit, is on record at step 0.
        JsonElement sourceLast = (await EvaluationsAsync("ft-source"))[^1];
        JsonElement[] evaluations = await EvaluationsAsync(split);
        Assert.Equal([0L, 30L, 60L, 90L], evaluations.Select(record => record.GetProperty("step").GetInt64()));
        Assert.Equal(sourceLast.GetProperty("loss").GetDouble(), evaluations[0].GetProperty("loss").GetDouble());
        Assert.Equal(sourceLast.GetProperty("accuracy").GetDouble(), evaluations[0].GetProperty("accuracy").GetDouble());

        Dictionary<string, byte[]> source = await ExportedTensorsAsync("ft-source");
        Dictionary<string, byte[]> tuned = await ExportedTensorsAsync(split);
        Assert.Equal(source["fc1.weight"], tuned["fc1.weight"]);
        Assert.Equal(source["fc1.bias"], tuned["fc1.bias"]);
        Assert.NotEqual(source["fc2.weight"], tuned["fc2.weight"]);
    }

    [Fact]
    public async Task ARunContinuedToALongerTotal_EndsBitwiseWhereOneLongRunEnds()
    {
        // Same data and recipe but the length: the new run carries on the source's optimizer state, cursor and steps.
        const string Recipe = """
            "data":{"dataset":"synthetic"},"model":{"architecture":"mlp","parameters":{"hiddenUnits":16,"dropout":0.2}},
            "optimizer":{"name":"adam","learningRate":0.002},"evaluation":{"intervalSteps":40}
            """;
        await StartAsync($$"""{"runId":"ft-short",{{Recipe}},"training":{"maxSteps":80,"batchSize":32,"seed":4},"execution":{"stepsPerChunk":40} }""");
        await StartAsync($$"""{"runId":"ft-long-straight",{{Recipe}},"training":{"maxSteps":160,"batchSize":32,"seed":4},"execution":{"stepsPerChunk":160} }""");
        await WaitForEndAsync("ft-short");
        await StartAsync("""{"runId":"ft-continued","model":{"initFrom":{"run":"ft-short"}},"training":{"maxSteps":160,"batchSize":32,"seed":4},"execution":{"stepsPerChunk":40} }""");

        JsonElement continued = await WaitForEndAsync("ft-continued");
        await WaitForEndAsync("ft-long-straight");

        Assert.True(continued.GetProperty("input").GetProperty("specification").GetProperty("model").GetProperty("initFrom").GetProperty("continues").GetBoolean());
        Assert.Equal(160, continued.GetProperty("output").GetProperty("stepsDone").GetInt64());
        Assert.Equal([80L, 120L, 160L], (await EvaluationsAsync("ft-continued")).Select(record => record.GetProperty("step").GetInt64()));
        Dictionary<string, byte[]> straight = await ExportedTensorsAsync("ft-long-straight");
        Dictionary<string, byte[]> carriedOn = await ExportedTensorsAsync("ft-continued");
        Assert.Equal(straight.Keys.Order(StringComparer.Ordinal), carriedOn.Keys.Order(StringComparer.Ordinal));
        Assert.All(straight, entry => Assert.True(entry.Value.AsSpan().SequenceEqual(carriedOn[entry.Key]), $"{entry.Key} differs"));
        Assert.NotEqual(straight["fc1.weight"], (await ExportedTensorsAsync("ft-short"))["fc1.weight"]);
    }

    [SkippableFact]
    public async Task AStateDictSavedByPyTorch_IsStoredAndStartsARunAtItsWeights_WhileAPickledModelIsRefusedSayingWhy()
    {
        TestRequirements.PyTorch();
        string folder = Directory.CreateDirectory(Path.Combine(fixture.Azurite.WorkDirectory, "pytorch-weights")).FullName;
        SystemPyTorch.Run(SystemPyTorch.Python, "-c", """
            import sys, collections, torch
            from torch import nn
            torch.manual_seed(3)
            model = nn.Sequential(collections.OrderedDict(flatten=nn.Flatten(), fc1=nn.Linear(784, 16), relu1=nn.ReLU(), fc2=nn.Linear(16, 10)))
            torch.save(model.state_dict(), sys.argv[1] + "/weights.pt")
            torch.save(model, sys.argv[1] + "/model.pt")
            open(sys.argv[1] + "/fc1.bin", "wb").write(model.fc1.weight.detach().numpy().tobytes())
            """, folder);

        using HttpResponseMessage weights = await fixture.Http.PutBytesAsync(new Uri("/api/models/pytorch-weights.pt", UriKind.Relative), await File.ReadAllBytesAsync(Path.Combine(folder, "weights.pt")));
        using HttpResponseMessage pickled = await fixture.Http.PutBytesAsync(new Uri("/api/models/pickled-model.pt", UriKind.Relative), await File.ReadAllBytesAsync(Path.Combine(folder, "model.pt")));
        Assert.True(weights.StatusCode == HttpStatusCode.Created, await weights.Content.ReadAsStringAsync());
        string refusal = await pickled.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, pickled.StatusCode);
        Assert.Contains("torch.save(model) pickles the Python class", refusal, StringComparison.Ordinal);

        await StartAsync($$"""{"runId":"ft-pytorch","data":{"dataset":"synthetic"},"model":{"architecture":"mlp","parameters":{"hiddenUnits":16},"initFrom":{"file":"pytorch-weights.pt"},"freeze":["fc1"]},"training":{"maxSteps":20,"batchSize":32},"execution":{"stepsPerChunk":20} }""");
        JsonElement status = await WaitForEndAsync("ft-pytorch");

        Assert.Equal(64, status.GetProperty("input").GetProperty("specification").GetProperty("model").GetProperty("initFrom").GetProperty("sha256").GetString()!.Length);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "fc1.bin")), (await ExportedTensorsAsync("ft-pytorch"))["fc1.weight"]);
        Assert.Equal(0, (await EvaluationsAsync("ft-pytorch"))[0].GetProperty("step").GetInt64());
    }

    [Fact]
    public async Task StartingFromARunThatHasNoCheckpointYet_Is409_AndFromOneThatDoesNotExist_400()
    {
        using HttpResponseMessage unknown = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            """{"runId":"ft-orphan","model":{"initFrom":{"run":"no-such-run"}}}""");
        await StartAsync("""{"runId":"ft-long","data":{"dataset":"synthetic"},"model":{"architecture":"mlp"},"training":{"maxSteps":100000},"execution":{"stepsPerChunk":50}}""");
        using HttpResponseMessage running = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative),
            """{"runId":"ft-too-early","model":{"initFrom":{"run":"ft-long"}}}""");
        using HttpResponseMessage stop = await fixture.Http.PostAsync(new Uri("/runtime/webhooks/durabletask/instances/ft-long/terminate", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("model.initFrom.run", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        string conflict = await running.Content.ReadAsStringAsync();
        Assert.True(running.StatusCode == HttpStatusCode.Conflict, conflict);
        Assert.Contains("has no final checkpoint yet", conflict, StringComparison.Ordinal);
        using HttpResponseMessage absent = await fixture.Http.GetAsync(new Uri("/api/training/ft-too-early", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
    }

    private async Task<string> StartAsync(string body)
    {
        using HttpResponseMessage response = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), body);
        string answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, answer);
        return JsonDocument.Parse(answer).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> WaitForEndAsync(string runId)
    {
        JsonElement status = await StatusPolling.UntilAsync(fixture.Http, $"/runtime/webhooks/durabletask/instances/{runId}",
            status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated", TimeSpan.FromMinutes(3), () => fixture.Worker.Process.ReadLogTail());
        Assert.True(status.GetProperty("output").GetProperty("status").GetString() == "Completed", status.ToString());
        return status;
    }

    private async Task<JsonElement[]> EvaluationsAsync(string runId)
    {
        string json = await fixture.Http.GetStringAsync(new Uri($"/api/training/{runId}/metrics?kind=evaluation", UriKind.Relative));
        return [.. JsonDocument.Parse(json).RootElement.GetProperty("records").EnumerateArray().Select(record => record.Clone())];
    }

    /// <summary>The run's final weights through the export route as safetensors, each tensor's raw bytes by key.</summary>
    private async Task<Dictionary<string, byte[]>> ExportedTensorsAsync(string runId)
    {
        byte[] file = await fixture.Http.GetByteArrayAsync(new Uri($"/api/training/{runId}/model?format=safetensors", UriKind.Relative));
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, headerLength));
        var tensors = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (JsonProperty entry in header.RootElement.EnumerateObject().Where(entry => entry.Name != "__metadata__"))
        {
            JsonElement offsets = entry.Value.GetProperty("data_offsets");
            int from = 8 + headerLength + offsets[0].GetInt32();
            tensors[entry.Name] = file[from..(8 + headerLength + offsets[1].GetInt32())];
        }

        return tensors;
    }
}
