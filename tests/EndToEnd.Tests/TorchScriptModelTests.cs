using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// A model written in PyTorch (by Debian's python3-torch) trained through the real worker and Azurite: uploaded
/// and pinned by <c>dtrain train --model-file</c>, trained, exported as TorchScript that PyTorch loads; a file that
/// changes under a running run fails it, unretried; TorchScript export is refused for a built-in model.
/// </summary>
public sealed class TorchScriptModelTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private string Server => fixture.Worker.BaseAddress.ToString().TrimEnd('/');

    private string Folder(string name)
    {
        string folder = Path.Combine(fixture.Azurite.WorkDirectory, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    [SkippableFact]
    public async Task TrainWithModelFile_UploadsPinsTrainsAndExportsTorchScriptThatPyTorchLoads()
    {
        TestRequirements.PyTorch();
        string folder = Folder("cli-torchscript");
        string net = Path.Combine(folder, "net.pt");
        File.Copy(TorchScriptFiles.PathOf("cnn.pt"), net, overwrite: true);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(net)));

        DtrainProcess train = await DtrainProcess.RunAsync("train", "--server", Server, "--run-id", "cli-torchscript", "--dataset", "synthetic", "--model-file", net,
            "--max-steps", "40", "--steps-per-chunk", "20", "--evaluation-interval-steps", "20", "--export", folder, "--json");

        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains(train.OutLines, line => line.StartsWith("Uploaded net.pt (", StringComparison.Ordinal));
        JsonElement line = JsonDocument.Parse(train.OutLines[^1]).RootElement;
        Assert.Equal("Completed", line.GetProperty("outcome").GetString());
        Assert.InRange(line.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.0, 1.0);
        JsonElement model = (await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/runtime/webhooks/durabletask/instances/cli-torchscript", UriKind.Relative)))
            .GetProperty("input").GetProperty("specification").GetProperty("model");
        Assert.Equal("net.pt", model.GetProperty("file").GetString());
        Assert.Equal(sha256, model.GetProperty("sha256").GetString());
        JsonElement spec = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "cli-torchscript.json"))).RootElement;
        Assert.Equal("torchscript", spec.GetProperty("model").GetString());
        Assert.Equal(sha256, spec.GetProperty("fileSha256").GetString());

        // The export is TorchScript: PyTorch loads it without our code and predicts [N, 10] scores.
        string exported = Path.Combine(folder, "cli-torchscript.pt");
        string shape = SystemPyTorch.Run(SystemPyTorch.Python, "-c",
            "import sys, torch; m = torch.jit.load(sys.argv[1]); m.eval(); print(list(m(torch.zeros(3, 1, 28, 28)).shape))", exported);
        Assert.Equal("[3, 10]", shape.Trim());
        Assert.NotEqual(sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(exported))));

        // The state dict is still there on request, under the user's own names.
        string stateDictFolder = Folder("cli-torchscript-state-dict");
        DtrainProcess export = await DtrainProcess.RunAsync("export", "cli-torchscript", "-o", stateDictFolder, "--format", "pytorch", "--server", Server);
        Assert.True(export.ExitCode == 0, export.ToString());
        string keys = SystemPyTorch.Run(SystemPyTorch.Python, "-c",
            "import sys, torch; print(sorted(torch.load(sys.argv[1]).keys())[0])", Path.Combine(stateDictFolder, "cli-torchscript.pt"));
        Assert.Equal("features.0.bias", keys.Trim());
    }

    [Fact]
    public async Task ModelFileChangedUnderARunningRun_FailsTheRunSayingSo_WithoutRetrying()
    {
        using HttpResponseMessage upload = await PutModelAsync("changing.pt", TorchScriptFiles.Read("tiny.pt"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        // A retry would wait a minute first, so a failure well within that was not retried.
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), """
            {"runId":"e2e-changing-file","data":{"dataset":"synthetic"},"model":{"file":"changing.pt"},
             "training":{"maxSteps":100000,"batchSize":32},"execution":{"stepsPerChunk":20,"activityFirstRetrySeconds":60}}
            """);
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        await StatusPolling.UntilAsync(fixture.Http, "/api/training/e2e-changing-file",
            summary => summary.GetProperty("step").ValueKind == JsonValueKind.Number && summary.GetProperty("step").GetInt64() >= 20, TimeSpan.FromMinutes(2));

        using HttpResponseMessage replace = await PutModelAsync("changing.pt", TorchScriptFiles.Read("cnn.pt"));
        var sinceChange = Stopwatch.StartNew();
        JsonElement status = await StatusPolling.UntilAsync(fixture.Http, "/runtime/webhooks/durabletask/instances/e2e-changing-file",
            status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated", TimeSpan.FromMinutes(2));

        Assert.Equal(HttpStatusCode.Created, replace.StatusCode);
        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
        JsonElement output = status.GetProperty("output");
        Assert.Equal("Failed", output.GetProperty("status").GetString());
        string reason = output.GetProperty("failureReason").GetString()!;
        Assert.Contains("The model file 'changing.pt' changed under the run", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("Task '", reason, StringComparison.Ordinal);
        Assert.True(sinceChange.Elapsed < TimeSpan.FromSeconds(45), $"the run took {sinceChange.Elapsed} to fail after the change");
    }

    [Fact]
    public async Task TorchScriptExport_OfABuiltInModel_Is400NamingTheFormat()
    {
        using HttpResponseMessage start = await fixture.Http.PostJsonAsync(new Uri("/api/training", UriKind.Relative), """
            {"runId":"e2e-builtin-torchscript","data":{"dataset":"synthetic"},"model":{"architecture":"mlp","parameters":{"hiddenUnits":16}},
             "training":{"maxSteps":20,"batchSize":32},"execution":{"stepsPerChunk":20}}
            """);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        await StatusPolling.UntilAsync(fixture.Http, "/runtime/webhooks/durabletask/instances/e2e-builtin-torchscript",
            status => status.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed", TimeSpan.FromMinutes(2));

        using HttpResponseMessage export = await fixture.Http.GetAsync(new Uri("/api/training/e2e-builtin-torchscript/model?format=torchscript", UriKind.Relative));
        string answer = await export.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, export.StatusCode);
        Assert.Contains("torchscript applies to models trained from a TorchScript file", JsonDocument.Parse(answer).RootElement.GetProperty("errors").GetProperty("format")[0].GetString(), StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> PutModelAsync(string name, byte[] content) =>
        fixture.Http.PutBytesAsync(new Uri($"/api/models/{name}", UriKind.Relative), content);
}
