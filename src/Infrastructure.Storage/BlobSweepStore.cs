using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.Infrastructure.Storage;

/// <summary>
/// Sweeps' documents as JSON block blobs in a private container (<c>sweeps</c>, beside the checkpoints):
/// <c>{sweepId}/definition.json</c> (the base run and the space, written once at submission) and
/// <c>{sweepId}/status.json</c> (every trial's state, rewritten whole by each update, so a reader never sees half).
/// </summary>
public sealed class BlobSweepStore(BlobContainerClient container) : ISweepStore
{
    public const string DefaultContainerName = "sweeps";
    private volatile bool _containerExists;

    public static BlobSweepStore Beside(BlobContainerClient checkpoints, string? containerName = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return new BlobSweepStore(checkpoints.GetParentBlobServiceClient().GetBlobContainerClient(
            string.IsNullOrWhiteSpace(containerName) ? DefaultContainerName : containerName));
    }

    public Task SaveDefinitionAsync(SweepDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return WriteAsync($"{definition.SweepId}/definition.json", definition, cancellationToken);
    }

    public Task<SweepDefinition?> GetDefinitionAsync(string sweepId, CancellationToken cancellationToken = default) =>
        ReadAsync<SweepDefinition>($"{sweepId}/definition.json", cancellationToken);

    public Task SaveRecordAsync(SweepRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return WriteAsync($"{record.SweepId}/status.json", record, cancellationToken);
    }

    public Task<SweepRecord?> GetRecordAsync(string sweepId, CancellationToken cancellationToken = default) =>
        ReadAsync<SweepRecord>($"{sweepId}/status.json", cancellationToken);

    private async Task WriteAsync<T>(string name, T document, CancellationToken cancellationToken)
    {
        if (!_containerExists)
        {
            await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            _containerExists = true;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(document, SpecificationJson.Options);
        await container.GetBlobClient(name).UploadAsync(new BinaryData(json), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, cancellationToken);
    }

    private async Task<T?> ReadAsync<T>(string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            BlobDownloadResult download = (await container.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value;
            return JsonSerializer.Deserialize<T>(download.Content.ToMemory().Span, SpecificationJson.Options);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }
}
