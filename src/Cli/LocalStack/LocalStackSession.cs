using System.Diagnostics.CodeAnalysis;
using DurableTrainer.Contracts;

namespace DurableTrainer.Cli.LocalStack;

/// <summary>
/// Azurite and a worker started for one command (<c>dtrain train</c>, <c>dtrain sweep</c>) when no server is named,
/// stopped again when the command ends. Azurite takes its default ports when they are free, else free ones.
/// </summary>
public sealed class LocalStackSession : IAsyncDisposable
{
    public const string HubName = "DurableTrainer";

    /// <summary>The worker's <see cref="ApiLimits.WarmUpRunSetting"/> as an environment variable.</summary>
    public static readonly string WarmUpRunVariable = ApiLimits.WarmUpRunSetting.Replace(":", "__", StringComparison.Ordinal);

    private LocalStackSession(AzuriteServer azurite, WorkerServer worker)
    {
        Azurite = azurite;
        Worker = worker;
    }

    public AzuriteServer Azurite { get; }

    public WorkerServer Worker { get; }

    public Uri BaseAddress => Worker.BaseAddress;

    /// <summary>
    /// Starts Azurite and the worker side by side: the ports are chosen first, so the worker's connection string is
    /// known before Azurite listens, and the worker (which retries storage until it answers) loads libtorch and its
    /// host while Azurite starts. Should another process take a chosen port first, Azurite is started again on
    /// other ports, with a worker of its own. <paramref name="expectedRun"/>, the run about to be submitted, is checked
    /// by the worker as it starts (<c>Api:WarmUpRun</c>), so its data is loaded while Azurite starts rather than during
    /// the submission.
    /// </summary>
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "Azurite and the worker pass to the session returned, which disposes both; every failure path disposes what started.")]
    public static async Task<LocalStackSession> StartAsync(TextWriter output, string? expectedRun = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        string root = RepositoryLayout.FindRoot();
        string logs = Path.Combine(root, ".azurite", "logs");
        string data = Path.Combine(root, ".azurite", "data");
        string azuriteLog = Path.Combine(logs, "azurite.log");
        string workerLog = Path.Combine(logs, "worker.log");
        bool defaultPortsFree = !await ChildProcess.IsListeningAsync(10000) && !await ChildProcess.IsListeningAsync(10001) && !await ChildProcess.IsListeningAsync(10002);
        int[] ports = defaultPortsFree ? [10000, 10001, 10002] : ChildProcess.FreePorts(3);
        Task<AzuriteServer> azuriteStart = AzuriteServer.StartAsync(root, data, azuriteLog, ports[0], ports[1], ports[2]);
        using var abandon = new CancellationTokenSource();
        Dictionary<string, string>? settings = expectedRun is null ? null : new() { [WarmUpRunVariable] = expectedRun };
        Task<WorkerServer> workerStart = WorkerServer.StartAsync(root, AzuriteServer.ConnectionStringFor(ports[0], ports[1], ports[2]), HubName, workerLog, settings, cancellationToken: abandon.Token);
        AzuriteServer azurite;
        try
        {
            azurite = await azuriteStart;
        }
        catch (InvalidOperationException exception) when (!defaultPortsFree && exception.Message.Contains("EADDRINUSE", StringComparison.Ordinal))
        {
            await AbandonAsync(workerStart, abandon);
            azurite = await AzuriteServer.StartAsync(root, data, azuriteLog);
            workerStart = WorkerServer.StartAsync(root, azurite.ConnectionString, HubName, workerLog, settings);
        }
        catch
        {
            await AbandonAsync(workerStart, abandon);
            throw;
        }

        output.WriteLine($"Azurite listening on 127.0.0.1:{azurite.BlobPort} (data in .azurite/data).");
        try
        {
            WorkerServer worker = await workerStart;
            output.WriteLine($"Worker listening on {worker.BaseAddress} (log in .azurite/logs/worker.log).");
            return new LocalStackSession(azurite, worker);
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops a worker whose start is under way (or done): a start that ends in failure has stopped its process itself.</summary>
    private static async Task AbandonAsync(Task<WorkerServer> start, CancellationTokenSource abandon)
    {
        await abandon.CancelAsync();
        try
        {
            await (await start).DisposeAsync();
        }
        catch (Exception exception) when (exception is OperationCanceledException or InvalidOperationException)
        {
            // It did not come up, and its process is gone.
        }
    }

    /// <summary>
    /// Stops the worker with SIGTERM first, so that its durable engine releases the task hub's partition leases (it
    /// says "Durable engine stopped." once it has): killed outright, it left them to expire, and the next stack on
    /// the same data waited about 30 s for them before its first chunk. Then Azurite, which saves its data.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await Worker.Process.TerminateAsync(TimeSpan.FromSeconds(10), EngineStoppedMessages);
        await Worker.DisposeAsync();
        await Azurite.DisposeAsync();
    }

    /// <summary>What the worker writes once its durable engine has stopped and released its leases.</summary>
    private static IReadOnlyCollection<string> EngineStoppedMessages { get; } = ["Durable engine stopped."];
}
