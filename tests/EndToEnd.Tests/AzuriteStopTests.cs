using Azure.Storage.Blobs;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Stopping the Azurite that <c>dtrain train</c> started: what was written just before the stop is on disk when
/// Azurite starts again on the same folder, and the stop does not wait out the seconds Azurite's process lingers
/// after its services have closed.
/// </summary>
public sealed class AzuriteStopTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "durabletrainer-tests", "azurite-stop-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    [Fact]
    public async Task Stop_RightAfterAWrite_KeepsTheWriteForTheNextStart_AndEndsOnceTheServicesHaveClosed()
    {
        string data = Path.Combine(_work, "data");
        string log = Path.Combine(_work, "azurite.log");
        byte[] content = Guid.NewGuid().ToByteArray();
        AzuriteServer first = await AzuriteServer.StartAsync(RepositoryLayout.FindRoot(), data, log);
        await using (first)
        {
            BlobContainerClient container = new BlobServiceClient(first.ConnectionString).GetBlobContainerClient("written-last");
            await container.CreateAsync();
            await container.GetBlobClient("blob").UploadAsync(new BinaryData(content));
        }

        string written = await File.ReadAllTextAsync(log);
        foreach (string closed in AzuriteServer.ClosedMessages)
        {
            Assert.Contains(closed, written, StringComparison.Ordinal);
        }

        // One SIGTERM, and the stop ended on the services' "closed" lines: not on Azurite's own exit (1.6-13 s after
        // them), not on a second SIGTERM 5 s later, not on the kill at the timeout. An event, not a time.
        Assert.Equal(new Termination(StopOutcome.ReportedShutDown, Signals: 1), first.Stopped);

        await using AzuriteServer second = await AzuriteServer.StartAsync(RepositoryLayout.FindRoot(), data, log);
        BlobClient blob = new BlobServiceClient(second.ConnectionString).GetBlobContainerClient("written-last").GetBlobClient("blob");
        Assert.Equal(content, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }
}
