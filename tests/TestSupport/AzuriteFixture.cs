using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.TestSupport;

/// <summary>
/// One real Azurite per test assembly, on free ports with its data in a fresh temporary folder; stopped (and the
/// folder removed) when the assembly's tests are done, whether they passed or not.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    public string RepositoryRoot { get; } = RepositoryLayout.FindRoot();

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "durabletrainer-tests", Guid.NewGuid().ToString("N")[..12]);

    public AzuriteServer Server => _server ?? throw new InvalidOperationException("Azurite has not started.");

    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        _server = await AzuriteServer.StartAsync(RepositoryRoot, Path.Combine(WorkDirectory, "azurite"), Path.Combine(WorkDirectory, "azurite.log"));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A lingering handle; the temp folder is cleaned by the OS eventually.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
