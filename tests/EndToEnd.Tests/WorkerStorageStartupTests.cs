using System.Net;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// The worker started against storage that is not there, that refuses its key, or that is not a connection string
/// at all: it waits and retries (health 503, one log line an attempt) and serves once storage appears; it exits with
/// one sentence naming the setting (exit 3, not an abort) when the key is refused; and exits 2 at once for a
/// connection string it cannot read.
/// </summary>
public sealed class WorkerStorageStartupTests : IAsyncLifetime
{
    private const string Setting = "DurableTask:StorageConnectionString";
    private readonly string _work = Path.Combine(Path.GetTempPath(), "durabletrainer-tests", "startup-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<IAsyncDisposable> _processes = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (IAsyncDisposable process in _processes)
        {
            await process.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnreachableStorage_WorkerAnswers503AndRetries_ThenServesOnceStorageAppears()
    {
        // Nothing listens on these until Azurite starts, seconds later; ports from the ephemeral range could be taken meanwhile.
        int[] ports = ChildProcess.PortsBelowTheEphemeralRange(3);
        (int blob, int queue, int table) = (ports[0], ports[1], ports[2]);
        (ChildProcess worker, HttpClient http) = StartWorker(AzuriteServer.ConnectionStringFor(blob, queue, table), "unreachable.log");

        await WaitForAsync(() => CountLines(worker, $"127.0.0.1:{blob}/devstoreaccount1 is unreachable (attempt") >= 2, TimeSpan.FromSeconds(30), worker);
        using (HttpResponseMessage health = await http.GetAsync(new Uri("/api/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("unreachable", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var empty = new StringContent("{}"))
        using (HttpResponseMessage start = await http.PostAsync(new Uri("/api/training", UriKind.Relative), empty))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, start.StatusCode);
            Assert.NotNull(start.Headers.RetryAfter);
        }

        AzuriteServer azurite = await AzuriteServer.StartAsync(RepositoryLayout.FindRoot(), Path.Combine(_work, "azurite"), Path.Combine(_work, "azurite.log"), blob, queue, table);
        _processes.Add(azurite);

        await WaitForAsync(async () =>
        {
            using HttpResponseMessage health = await http.GetAsync(new Uri("/api/health", UriKind.Relative));
            return health.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), worker);
        Assert.False(worker.HasExited);
        Assert.DoesNotContain("   at ", worker.ReadLogTail(400), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StorageGoneBeforeTheStop_WorkerStillStopsOnSigterm()
    {
        AzuriteServer azurite = await AzuriteServer.StartAsync(RepositoryLayout.FindRoot(), Path.Combine(_work, "azurite-gone"), Path.Combine(_work, "azurite-gone.log"));
        _processes.Add(azurite);
        (ChildProcess worker, HttpClient http) = StartWorker(AzuriteServer.ConnectionStringFor(azurite.BlobPort, azurite.QueuePort, azurite.TablePort), "gone.log");
        await WaitForAsync(async () =>
        {
            using HttpResponseMessage health = await http.GetAsync(new Uri("/api/health", UriKind.Relative));
            return health.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), worker);

        await azurite.DisposeAsync();
        using (System.Diagnostics.Process.Start("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
        }

        // The stop waits 5 s for storage; before it had that patience it waited for the storage client's retries to
        // give up: 21 s here, and over a minute once.
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(15));
        string log = worker.ReadLogTail(60);
        Assert.True(worker.HasExited, log);
        Assert.Equal(0, worker.ExitCode);
        Assert.Contains("did not answer the durable engine's stop within 5 s", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedKey_WorkerExits3WithOneSentenceNamingTheSetting()
    {
        AzuriteServer azurite = await AzuriteServer.StartAsync(RepositoryLayout.FindRoot(), Path.Combine(_work, "azurite-key"), Path.Combine(_work, "azurite-key.log"));
        _processes.Add(azurite);
        string wrongKey = Convert.ToBase64String(new byte[64]);
        (ChildProcess worker, _) = StartWorker(AzuriteServer.ConnectionStringFor(azurite.BlobPort, azurite.QueuePort, azurite.TablePort, wrongKey), "refused.log");

        await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string log = worker.ReadLogTail(400);
        Assert.True(worker.HasExited, log);
        Assert.Equal(3, worker.ExitCode);
        Assert.Contains($"refused the worker's credentials", log, StringComparison.Ordinal);
        Assert.Contains(Setting, log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.True(log.Split('\n').Length < 30, log);
    }

    [Fact]
    public async Task UnreadableConnectionString_WorkerExits2WithOneSentenceNamingTheSetting()
    {
        (ChildProcess worker, _) = StartWorker("this is not a connection string", "unreadable.log");

        await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string log = worker.ReadLogTail(400);
        Assert.True(worker.HasExited, log);
        Assert.Equal(2, worker.ExitCode);
        Assert.Contains($"The storage connection string in {Setting}", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
    }

    private (ChildProcess Worker, HttpClient Http) StartWorker(string connectionString, string logName)
    {
        int port = ChildProcess.FreePort();
        string assembly = RepositoryLayout.WorkerAssembly(RepositoryLayout.FindRoot());
        ChildProcess worker = ChildProcess.Start("dotnet", [assembly], Path.Combine(_work, logName), new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["DurableTask__StorageConnectionString"] = connectionString,
            ["DurableTask__HubName"] = "startup" + Guid.NewGuid().ToString("N")[..8],
            ["Training__Threads"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        }, Path.GetDirectoryName(assembly));
        _processes.Add(worker);
        return (worker, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) });
    }

    private static int CountLines(ChildProcess process, string text) =>
        process.ReadLogTail(1000).Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    private static Task WaitForAsync(Func<bool> done, TimeSpan timeout, ChildProcess worker) => WaitForAsync(() => Task.FromResult(done()), timeout, worker);

    private static async Task WaitForAsync(Func<Task<bool>> done, TimeSpan timeout, ChildProcess worker)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await done())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // The worker is not listening yet.
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Not reached within {timeout}. Worker log:\n{worker.ReadLogTail(60)}");
    }
}
