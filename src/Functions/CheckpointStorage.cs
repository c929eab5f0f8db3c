using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace DurableTrainer.Functions;

/// <summary>
/// Finds the checkpoint container from app settings: in Azure by account name and managed identity (shared keys
/// are disabled there), locally by the same connection string the Functions host uses (Azurite).
/// </summary>
public static class CheckpointStorage
{
    public static BlobContainerClient CreateContainer(IConfiguration configuration)
    {
        string container = configuration["DurableTask:CheckpointContainer"] ?? "checkpoints";
        string? account = configuration["CheckpointStorage:accountName"];
        if (!string.IsNullOrWhiteSpace(account))
        {
            string? clientId = configuration["CheckpointStorage:clientId"];
            var credential = string.IsNullOrWhiteSpace(clientId) ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned) : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            return new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), credential).GetBlobContainerClient(container);
        }

        string connectionString = configuration["AzureWebJobsStorage"]
            ?? throw new InvalidOperationException("Set CheckpointStorage__accountName (Azure, managed identity) or AzureWebJobsStorage (local) so checkpoints have somewhere to go.");
        return new BlobServiceClient(connectionString).GetBlobContainerClient(container);
    }
}
