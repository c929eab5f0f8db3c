using DurableTrainer.Cli.LocalStack;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>Azurite plus one worker process on a task hub of its own; everything is stopped when the tests end.</summary>
public class WorkerFixture : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();

    public WorkerServer Worker { get; private set; } = null!;

    public AzuriteFixture Azurite => _azurite;

    public string HubName { get; } = "e2e" + Guid.NewGuid().ToString("N")[..8];

    public HttpClient Http { get; private set; } = null!;

    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Training__Threads"] = "1",
        ["DurableTask__WorkItemVisibilityTimeout"] = "00:00:15",
    };

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        Worker = await StartWorkerAsync("worker.log");
        Http = new HttpClient { BaseAddress = Worker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (WorkerSettings.TryGetValue("Security__ApiKey", out string? key))
        {
            Http.DefaultRequestHeaders.Add("x-api-key", key);
        }
    }

    /// <summary>Settings for the worker on top of <see cref="Settings"/>; a derived fixture can add its own.</summary>
    protected virtual IReadOnlyDictionary<string, string> WorkerSettings => Settings;

    public Task<WorkerServer> StartWorkerAsync(string logName) => WorkerServer.StartAsync(
        _azurite.RepositoryRoot, _azurite.ConnectionString, HubName, Path.Combine(_azurite.WorkDirectory, logName), WorkerSettings);

    /// <summary>
    /// SIGKILLs the fixture's worker and starts a new process on the same port, logging to <paramref name="logName"/>:
    /// <see cref="Http"/> then reaches the new worker. Returns the new worker's log path.
    /// </summary>
    public async Task<string> ReplaceWorkerAsync(string logName)
    {
        int port = Worker.BaseAddress.Port;
        Worker.Process.Kill();
        await Worker.DisposeAsync();
        string log = Path.Combine(_azurite.WorkDirectory, logName);
        Worker = await WorkerServer.StartAsync(_azurite.RepositoryRoot, _azurite.ConnectionString, HubName, log, WorkerSettings, port);
        return log;
    }

    /// <summary>
    /// An assertion message for an answer a test did not expect: the status, the body, and the worker's log tail,
    /// because the fixture deletes its folder (and the log with it) when the class ends.
    /// </summary>
    public string Unexpected(HttpResponseMessage response, string body, string expected)
    {
        ArgumentNullException.ThrowIfNull(response);
        return $"{expected}, got {(int)response.StatusCode}: {body}\n--- worker log, last lines ---\n{Worker.Process.ReadLogTail(80)}";
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        await _azurite.DisposeAsync();
    }
}
