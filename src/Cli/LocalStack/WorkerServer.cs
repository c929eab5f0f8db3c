using System.Diagnostics.CodeAnalysis;

namespace DurableTrainer.Cli.LocalStack;

/// <summary>The self-hosted worker as a child process on a loopback port, ready once its health route answers.</summary>
public sealed class WorkerServer : IAsyncDisposable
{
    private WorkerServer(ChildProcess process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
    }

    public ChildProcess Process { get; }

    public Uri BaseAddress { get; }

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The server is returned to the caller, which owns it; the failure paths dispose it.")]
    public static async Task<WorkerServer> StartAsync(
        string repositoryRoot,
        string storageConnectionString,
        string hubName,
        string logPath,
        IReadOnlyDictionary<string, string>? settings = null,
        int? port = null,
        CancellationToken cancellationToken = default)
    {
        int chosenPort = port ?? ChildProcess.FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{chosenPort}");
        Dictionary<string, string> environment = WorkerEnvironment(baseAddress, storageConnectionString, hubName, settings);
        string assembly = RepositoryLayout.WorkerAssembly(repositoryRoot);
        ChildProcess process = ChildProcess.Start("dotnet", [assembly], logPath, environment, Path.GetDirectoryName(assembly));
        var server = new WorkerServer(process, baseAddress);
        await WaitUntilHealthyAsync(server, environment, cancellationToken);
        return server;
    }

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();

    private static Dictionary<string, string> WorkerEnvironment(
        Uri baseAddress, string storageConnectionString, string hubName, IReadOnlyDictionary<string, string>? settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["urls"] = baseAddress.ToString().TrimEnd('/'),
            ["DurableTask__StorageConnectionString"] = storageConnectionString,
            ["DurableTask__HubName"] = hubName,
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Disposes the server itself when it gives up (unhealthy, or cancelled), as the caller never receives it then.</summary>
    private static async Task WaitUntilHealthyAsync(WorkerServer server, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        if (environment.TryGetValue("Security__ApiKey", out string? apiKey))
        {
            http.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        try
        {
            while (!await AnswersHealthAsync(http, cancellationToken))
            {
                if (server.Process.HasExited || DateTime.UtcNow > deadline)
                {
                    string log = server.Process.ReadLogTail();
                    await server.DisposeAsync();
                    throw new InvalidOperationException($"The worker did not become healthy at {server.BaseAddress}. Its log:\n{log}");
                }

                await Task.Delay(200, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up on this worker (its Azurite did not start).
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> AnswersHealthAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri("/api/health", UriKind.Relative), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Slow first answer.
            return false;
        }
    }
}
