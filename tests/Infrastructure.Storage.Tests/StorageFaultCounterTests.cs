using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public class StorageFaultCounterTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task EveryTryTheSdkRetried_IsCountedByKind_AndTakingTheTallyStartsAfresh()
    {
        var counter = new StorageFaultCounter();
        var options = new BlobClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        options.AddPolicy(new FailFirstTries(), HttpPipelinePosition.PerRetry);
        BlobContainerClient container = new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient("faults-" + Guid.NewGuid().ToString("N")[..8]);

        await container.CreateAsync();
        StorageFaultTally tally = counter.Take();
        StorageFaultTally afresh = counter.Take();

        // One 503 ServerBusy answer, one lost connection, then the call that lands.
        Assert.Equal(3, tally.Tries);
        Assert.Equal(2, tally.FaultCount);
        Assert.Equal(new Dictionary<string, long> { ["503 ServerBusy"] = 1, ["connection lost"] = 1 }, tally.Faults.ToDictionary());
        Assert.Equal((0L, 0L), (afresh.Tries, afresh.FaultCount));
    }

    /// <summary>Answers the first try with a 503 ServerBusy (as the service words it) without sending it, and loses the second's connection.</summary>
    private sealed class FailFirstTries : HttpPipelinePolicy
    {
        private int _tries;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            switch (++_tries)
            {
                case 1:
                    message.Response = new BusyResponse();
                    return;
                case 2:
                    throw new IOException("The connection was reset.");
                default:
                    await ProcessNextAsync(message, pipeline);
                    return;
            }
        }
    }

    private sealed class BusyResponse : Response
    {
        public override int Status => 503;

        public override string ReasonPhrase => "Server Busy";

        // The transport marks errors as it receives them; this answer never passed through it.
        public override bool IsError => true;

        public override Stream? ContentStream { get; set; } = new MemoryStream();

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => TryGetHeader(name, out _);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => [new HttpHeader("x-ms-error-code", "ServerBusy")];

        protected override bool TryGetHeader(string name, out string value)
        {
            value = "ServerBusy";
            return name.Equals("x-ms-error-code", StringComparison.OrdinalIgnoreCase);
        }

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            values = ["ServerBusy"];
            return name.Equals("x-ms-error-code", StringComparison.OrdinalIgnoreCase);
        }
    }
}
