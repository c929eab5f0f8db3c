namespace DurableTrainer.Cli.LocalStack;

/// <summary>
/// Azurite and a worker started for one command (<c>dtrain train</c>, <c>dtrain sweep</c>) when no server is named,
/// stopped again when the command ends. Azurite takes its default ports when they are free, else free ones.
/// </summary>
public sealed class LocalStackSession : IAsyncDisposable
{
    public const string HubName = "DurableTrainer";

    private LocalStackSession(AzuriteServer azurite, WorkerServer worker)
    {
        Azurite = azurite;
        Worker = worker;
    }

    public AzuriteServer Azurite { get; }

    public WorkerServer Worker { get; }

    public Uri BaseAddress => Worker.BaseAddress;

    public static async Task<LocalStackSession> StartAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        string root = RepositoryLayout.FindRoot();
        string logs = Path.Combine(root, ".azurite", "logs");
        bool defaultPortsFree = !await ChildProcess.IsListeningAsync(10000) && !await ChildProcess.IsListeningAsync(10001) && !await ChildProcess.IsListeningAsync(10002);
        AzuriteServer azurite = defaultPortsFree
            ? await AzuriteServer.StartAsync(root, Path.Combine(root, ".azurite", "data"), Path.Combine(logs, "azurite.log"), 10000, 10001, 10002)
            : await AzuriteServer.StartAsync(root, Path.Combine(root, ".azurite", "data"), Path.Combine(logs, "azurite.log"));
        output.WriteLine($"Azurite listening on 127.0.0.1:{azurite.BlobPort} (data in .azurite/data).");
        try
        {
            WorkerServer worker = await WorkerServer.StartAsync(root, azurite.ConnectionString, HubName, Path.Combine(logs, "worker.log"));
            output.WriteLine($"Worker listening on {worker.BaseAddress} (log in .azurite/logs/worker.log).");
            return new LocalStackSession(azurite, worker);
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}
