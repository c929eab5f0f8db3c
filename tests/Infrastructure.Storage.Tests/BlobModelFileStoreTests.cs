using System.Security.Cryptography;
using Azure.Storage.Blobs;
using DurableTrainer.Application.Ports;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public class BlobModelFileStoreTests(AzuriteFixture azurite)
{
    private readonly BlobContainerClient _container =
        new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task SaveThenRead_GivesTheBytesAndTheirSha256()
    {
        var store = new BlobModelFileStore(_container);
        byte[] content = RandomNumberGenerator.GetBytes(50_000);

        StoredModelFile stored = await store.SaveAsync("net.pt", content);
        ModelFileContent? read = await store.ReadAsync("net.pt");

        string expected = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal(new StoredModelFile("net.pt", expected, content.Length), stored);
        Assert.NotNull(read);
        Assert.Equal(content, read.Content);
        Assert.Equal(expected, read.Sha256);
        Assert.Equal(content.Length, await store.SizeOfAsync("net.pt"));
    }

    [Fact]
    public async Task ReadAgain_OfAnUnchangedFile_GivesTheSameContent()
    {
        var store = new BlobModelFileStore(_container);
        byte[] content = RandomNumberGenerator.GetBytes(1000);
        await store.SaveAsync("net.pt", content);

        ModelFileContent? first = await store.ReadAsync("net.pt");
        ModelFileContent? again = await store.ReadAsync("net.pt");

        Assert.Equal(content, again!.Content);
        Assert.Equal(first!.Sha256, again.Sha256);
    }

    [Fact]
    public async Task Read_AfterAnotherToolReplacedTheFile_SeesTheNewBytes()
    {
        var store = new BlobModelFileStore(_container);
        await store.SaveAsync("net.pt", new byte[] { 1, 2, 3 });
        await store.ReadAsync("net.pt");

        // Written behind the store's back, as a blob tool would.
        await _container.GetBlobClient("net.pt").UploadAsync(new BinaryData(new byte[] { 4, 5 }), overwrite: true);
        ModelFileContent? read = await store.ReadAsync("net.pt");

        Assert.Equal(new byte[] { 4, 5 }, read!.Content);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 4, 5 })), read.Sha256);
    }

    [Fact]
    public async Task ReadAndSize_OfAMissingFile_AreNull()
    {
        var store = new BlobModelFileStore(_container);
        await store.SaveAsync("other.pt", new byte[] { 1 });

        Assert.Null(await store.ReadAsync("net.pt"));
        Assert.Null(await store.SizeOfAsync("net.pt"));
    }

    [Fact]
    public async Task Read_OfAFileDeletedSinceItWasRead_IsNull()
    {
        var store = new BlobModelFileStore(_container);
        await store.SaveAsync("net.pt", new byte[] { 1 });
        await store.ReadAsync("net.pt");

        await _container.GetBlobClient("net.pt").DeleteAsync();

        Assert.Null(await store.ReadAsync("net.pt"));
    }
}
