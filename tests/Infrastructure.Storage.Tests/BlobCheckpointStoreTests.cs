using Azure.Storage.Blobs;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public class BlobCheckpointStoreTests(AzuriteFixture azurite)
{
    private readonly BlobContainerClient _container =
        new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("ckpt-" + Guid.NewGuid().ToString("N")[..10]);

    private BlobCheckpointStore Store => new(_container);

    [Fact]
    public async Task SaveThenLoad_ReturnsTheSameBytesUnderARunScopedName()
    {
        var reference = CheckpointReference.ForReplica(RunId.Parse("run-7"), 3, 1);
        byte[] content = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();

        await Store.SaveAsync(reference, content);

        Assert.Equal(content, await Store.LoadAsync(reference));
        Assert.True(await _container.GetBlobClient("run-7/round-000003/replica-01.ckpt").ExistsAsync());
        Assert.EndsWith("/run-7/round-000003/replica-01.ckpt", Store.Describe(reference), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_Again_OverwritesOnlyItsOwnBlob()
    {
        var mine = CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 0);
        var other = CheckpointReference.ForReplica(RunId.Parse("run-1"), 1, 1);
        await Store.SaveAsync(other, new byte[] { 9 });

        await Store.SaveAsync(mine, new byte[] { 1 });
        await Store.SaveAsync(mine, new byte[] { 2, 2 });

        Assert.Equal(new byte[] { 2, 2 }, await Store.LoadAsync(mine));
        Assert.Equal(new byte[] { 9 }, await Store.LoadAsync(other));
    }

    [Fact]
    public async Task Load_OfAnAlteredBlob_IsRejectedByItsHash()
    {
        var reference = CheckpointReference.Initial(RunId.Parse("run-2"));
        await Store.SaveAsync(reference, new byte[] { 1, 2, 3, 4 });
        var blob = _container.GetBlobClient(BlobCheckpointStore.BlobName(reference));
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        await blob.UploadAsync(new BinaryData(new byte[] { 1, 2, 3, 5 }), overwrite: true);
        await blob.SetMetadataAsync(metadata);

        var error = await Assert.ThrowsAsync<CheckpointCorruptException>(() => Store.LoadAsync(reference));

        Assert.Equal(reference, error.Reference);
        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_OfAMissingCheckpoint_SaysWhichOne()
    {
        await Store.SaveAsync(CheckpointReference.Initial(RunId.Parse("exists")), new byte[] { 1 });

        var error = await Assert.ThrowsAsync<CheckpointNotFoundException>(() => Store.LoadAsync(CheckpointReference.Initial(RunId.Parse("absent"))));

        Assert.Contains("absent/initial", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Container_IsPrivate()
    {
        await Store.SaveAsync(CheckpointReference.Initial(RunId.Parse("run-3")), new byte[] { 1 });

        var access = await _container.GetAccessPolicyAsync();

        Assert.Equal(Azure.Storage.Blobs.Models.PublicAccessType.None, access.Value.BlobPublicAccess);
    }
}
