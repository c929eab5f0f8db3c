using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.Storage.Tests;

/// <summary>The policy against Azurite's queues: what a lost dequeue answer costs, and that the engine's receipts keep working.</summary>
[Collection(AzuriteCollection.Name)]
public class LostDequeueRedeliveryTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan ShortHold = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan EngineHold = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MessagesOfADequeueWhoseAnswerWasLost_ComeBackAfterTheShortHold_NotTheEnginesHold()
    {
        (QueueClient engine, QueueClient plain, _) = await QueuesAsync(loseFirstDequeueAnswer: true);
        await plain.SendMessageAsync("chunk 1");

        // The first try takes the message and its answer is lost; the retry finds the queue empty.
        QueueMessage[] taken = (await engine.ReceiveMessagesAsync(1, EngineHold)).Value;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        QueueMessage? back = null;
        while (back is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            back = (await plain.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))).Value.SingleOrDefault();
            await Task.Delay(back is null ? 200 : 0);
        }

        Assert.Empty(taken);
        Assert.NotNull(back);
        Assert.Equal("chunk 1", back.MessageText);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The message came back after {clock.Elapsed.TotalSeconds:F1} s.");
    }

    [Fact]
    public async Task AMessageWhoseAnswerArrived_StaysHiddenForTheEnginesHold_AndTheEnginesReceiptStillWorks()
    {
        (QueueClient engine, QueueClient plain, LostDequeueRedelivery policy) = await QueuesAsync(loseFirstDequeueAnswer: false);
        await plain.SendMessageAsync("chunk 2");

        QueueMessage taken = Assert.Single((await engine.ReceiveMessagesAsync(1, EngineHold)).Value);
        // Past the short hold: extended to the engine's, so no one else sees it.
        await Task.Delay(ShortHold * 2);
        QueueMessage[] seen = (await plain.ReceiveMessagesAsync(1)).Value;

        Assert.Empty(seen);
        Assert.Equal(1, policy.Extended);
        // The extension changed the receipt; the engine's, from the dequeue, is translated. A renewal, then a delete.
        await engine.UpdateMessageAsync(taken.MessageId, taken.PopReceipt, visibilityTimeout: EngineHold);
        await engine.DeleteMessageAsync(taken.MessageId, taken.PopReceipt);
        Assert.Equal(0, policy.Held);
        Assert.Empty((await plain.PeekMessagesAsync(1)).Value);
    }

    [Fact]
    public async Task AMessageDeletedWithinTheShortHold_IsNeverExtended()
    {
        (QueueClient engine, QueueClient plain, LostDequeueRedelivery policy) = await QueuesAsync(loseFirstDequeueAnswer: false);
        await plain.SendMessageAsync("chunk 3");

        QueueMessage taken = Assert.Single((await engine.ReceiveMessagesAsync(1, EngineHold)).Value);
        await engine.DeleteMessageAsync(taken.MessageId, taken.PopReceipt);
        await Task.Delay(ShortHold);

        Assert.Equal(0, policy.Extended);
        Assert.Equal(0, policy.Held);
    }

    [Fact]
    public async Task AMessageTakenAgainAfterItsExtensionFailed_StillDeletesUnderTheFirstTakingsReceipt()
    {
        // The first extension fails, so the message comes back after the short hold while the engine still holds its
        // first copy; the engine takes it again, then deletes the first copy, as the Durable Task engine does with a
        // duplicate it has already processed. Without the receipts of the first taking that delete failed with
        // PopReceiptMismatch on every try, and the orchestration that owned the message never got past it.
        int extensions = 0;
        (QueueClient engine, QueueClient plain, LostDequeueRedelivery policy) = await QueuesAsync(
            loseFirstDequeueAnswer: false, failExtension: () => Interlocked.Increment(ref extensions) == 1);
        await plain.SendMessageAsync("chunk 5");

        QueueMessage first = Assert.Single((await engine.ReceiveMessagesAsync(1, EngineHold)).Value);
        QueueMessage? again = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (again is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            again = (await engine.ReceiveMessagesAsync(1, EngineHold)).Value.SingleOrDefault();
            await Task.Delay(again is null ? 200 : 0);
        }

        Assert.NotNull(again);
        Assert.Equal(first.MessageId, again.MessageId);
        await Task.Delay(ShortHold);
        Assert.Equal(1, policy.Extended);
        await engine.DeleteMessageAsync(first.MessageId, first.PopReceipt);

        Assert.Equal(0, policy.Held);
        Assert.Empty((await plain.PeekMessagesAsync(1)).Value);
    }

    [Fact]
    public async Task APeekOrAShortDequeue_IsLeftAsAsked()
    {
        (QueueClient engine, QueueClient plain, LostDequeueRedelivery policy) = await QueuesAsync(loseFirstDequeueAnswer: false);
        await plain.SendMessageAsync("chunk 4");

        Assert.Single((await engine.PeekMessagesAsync(1)).Value);
        QueueMessage taken = Assert.Single((await engine.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1))).Value);
        await Task.Delay(ShortHold);

        Assert.Equal(0, policy.Held);
        Assert.Equal(taken.MessageId, Assert.Single((await plain.ReceiveMessagesAsync(1)).Value).MessageId);
    }

    private async Task<(QueueClient Engine, QueueClient Plain, LostDequeueRedelivery Policy)> QueuesAsync(bool loseFirstDequeueAnswer, Func<bool>? failExtension = null)
    {
        string name = "redelivery-" + Guid.NewGuid().ToString("N")[..8];
        var plain = new QueueClient(azurite.ConnectionString, name);
        await plain.CreateAsync();
        var policy = new LostDequeueRedelivery(ShortHold, queue => failExtension?.Invoke() == true
            ? new QueueServiceClient(azurite.ConnectionString, FailingEveryCall()).GetQueueClient(queue)
            : new QueueServiceClient(azurite.ConnectionString).GetQueueClient(queue));
        var options = new QueueClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        if (loseFirstDequeueAnswer)
        {
            options.AddPolicy(new LoseFirstDequeueAnswer(), HttpPipelinePosition.PerRetry);
        }

        return (new QueueClient(azurite.ConnectionString, name, options), plain, policy);
    }

    /// <summary>Clients whose every call fails before it is sent, as a storage that answers 503 to each try would.</summary>
    private static QueueClientOptions FailingEveryCall()
    {
        var options = new QueueClientOptions();
        options.Retry.MaxRetries = 0;
        options.AddPolicy(new FailEveryCall(), HttpPipelinePosition.PerRetry);
        return options;
    }

    private sealed class FailEveryCall : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new IOException("The storage did not answer.");

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new IOException("The storage did not answer.");
    }

    /// <summary>Sends the first dequeue on, then drops its answer as a connection lost on the way back would.</summary>
    private sealed class LoseFirstDequeueAnswer : HttpPipelinePolicy
    {
        private int _dequeues;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.EndsWith("/messages", StringComparison.Ordinal) && ++_dequeues == 1)
            {
                throw new IOException("The connection was reset before the answer arrived.");
            }
        }
    }
}
