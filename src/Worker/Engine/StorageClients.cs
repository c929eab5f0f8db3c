using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTrainer.Infrastructure.Storage;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// The options every storage client of the worker is built with: quick retries with back-off (ADR 0026), and the
/// fault counter the worker reports from.
/// </summary>
public sealed class StorageClients(DurableEngineOptions options)
{
    /// <summary>Every retried fault of every client built with these options.</summary>
    public StorageFaultCounter Faults { get; } = new();

    public BlobClientOptions Blob() => Configure(new BlobClientOptions());

    public TableClientOptions Table() => Configure(new TableClientOptions());

    /// <summary>
    /// Options for the engine's queue clients: a dequeue whose answer is lost leaves its messages hidden for
    /// <see cref="DurableEngineOptions.LostDequeueRedelivery"/>, not the whole work-item visibility (ADR 0027).
    /// </summary>
    public QueueClientOptions Queue(string connectionString)
    {
        QueueClientOptions queue = Configure(new QueueClientOptions());
        if (options.LostDequeueRedelivery > TimeSpan.Zero)
        {
            // The extensions go through a client of their own, without the policy, that gives up within seconds: the
            // engine's own delete or update of a message waits for an extension in flight.
            QueueClientOptions extension = Configure(new QueueClientOptions());
            extension.Retry.NetworkTimeout = options.LostDequeueRedelivery;
            extension.Retry.MaxRetries = 2;
            var extensions = new QueueServiceClient(connectionString, extension);
            queue.AddPolicy(new LostDequeueRedelivery(options.LostDequeueRedelivery, extensions.GetQueueClient), HttpPipelinePosition.PerCall);
        }

        return queue;
    }

    private T Configure<T>(T client)
        where T : ClientOptions
    {
        client.Retry.Mode = RetryMode.Exponential;
        client.Retry.Delay = options.StorageRetryDelay;
        client.Retry.MaxDelay = options.StorageRetryMaxDelay;
        client.Retry.MaxRetries = options.StorageRetries;
        client.AddPolicy(Faults, HttpPipelinePosition.PerRetry);
        return client;
    }
}
