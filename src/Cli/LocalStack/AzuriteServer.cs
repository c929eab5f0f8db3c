using System.Globalization;

namespace DurableTrainer.Cli.LocalStack;

/// <summary>
/// Azurite (blob, queue, table) started from the repository's npm install, bound to 127.0.0.1 on the given ports.
/// The connection string names the endpoints explicitly, because UseDevelopmentStorage=true only works on the
/// default ports.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's well-known development account; public, documented, and accepted only by the emulator.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly ChildProcess? _process;
    private int _disposed;

    private AzuriteServer(ChildProcess? process, int blobPort, int queuePort, int tablePort, string? dataDirectory)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        DataDirectory = dataDirectory;
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    public string? DataDirectory { get; }
    public bool StartedHere => _process is not null;
    public ChildProcess? Process => _process;

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    /// <summary>How the stop ended (null before it): on the services' "closed" lines, or otherwise.</summary>
    public Termination? Stopped { get; private set; }

    /// <summary>The connection string for an Azurite on these ports (running or not yet), with the development key or another one.</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort, string accountKey = AccountKey) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={accountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    public string BlobEndpoint => $"http://127.0.0.1:{BlobPort}/{AccountName}";

    /// <summary>
    /// Starts Azurite on free ports with its data in <paramref name="dataDirectory"/>. A free port can be taken by
    /// another process before Azurite binds it, so a start that fails is tried again on other ports, twice at most.
    /// </summary>
    public static async Task<AzuriteServer> StartAsync(string repositoryRoot, string dataDirectory, string logPath)
    {
        for (int attempt = 1; ; attempt++)
        {
            int[] ports = ChildProcess.FreePorts(3);
            try
            {
                return await StartAsync(repositoryRoot, dataDirectory, logPath, ports[0], ports[1], ports[2]);
            }
            catch (InvalidOperationException exception) when (attempt < 3 && exception.Message.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                // Another process took one of the ports in between; choose again.
            }
        }
    }

    public static async Task<AzuriteServer> StartAsync(string repositoryRoot, string dataDirectory, string logPath, int blobPort, int queuePort, int tablePort)
    {
        Directory.CreateDirectory(dataDirectory);
        ChildProcess process = ChildProcess.Start(
            "node",
            [
                RepositoryLayout.AzuriteScript(repositoryRoot),
                // Without --disableTelemetry Azurite reports usage to Microsoft, and on a machine that cannot reach
                // the collector its exit waits about 12 s for the send to give up.
                "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--location", dataDirectory,
                "--blobHost", "127.0.0.1", "--blobPort", blobPort.ToString(CultureInfo.InvariantCulture),
                "--queueHost", "127.0.0.1", "--queuePort", queuePort.ToString(CultureInfo.InvariantCulture),
                "--tableHost", "127.0.0.1", "--tablePort", tablePort.ToString(CultureInfo.InvariantCulture),
            ],
            logPath);
        var server = new AzuriteServer(process, blobPort, queuePort, tablePort, dataDirectory);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await ChildProcess.IsListeningAsync(blobPort) && await ChildProcess.IsListeningAsync(queuePort) && await ChildProcess.IsListeningAsync(tablePort)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                string log = process.ReadLogTail();
                await server.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start on ports {blobPort}/{queuePort}/{tablePort}. Its log:\n{log}");
            }

            await Task.Delay(100);
        }

        return server;
    }

    /// <summary>An Azurite someone else runs on the default ports.</summary>
    public static AzuriteServer Existing() => new(null, 10000, 10001, 10002, null);

    /// <summary>
    /// Stops Azurite with SIGTERM first: it then saves its in-memory database to disk. A SIGKILL loses the last
    /// seconds of writes (seen: a completed run read back as still running after a restart). Each service reports
    /// "successfully closed" once its stores are saved and closed, within milliseconds; the process itself lingers
    /// for seconds more on timers, so it is killed then.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        // Stopped once: a second dispose (a test that stops storage under a worker, then cleans up) does nothing.
        if (_process is not null && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Stopped = await _process.TerminateAsync(TimeSpan.FromSeconds(10), ClosedMessages);
            await _process.DisposeAsync();
        }
    }

    /// <summary>What Azurite writes when a service has closed its stores (its azurite.js).</summary>
    public static IReadOnlyCollection<string> ClosedMessages { get; } =
        ["Azurite Blob service successfully closed", "Azurite Queue service successfully closed", "Azurite Table service successfully closed"];
}
