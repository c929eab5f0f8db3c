using TorchSharp;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// The process's tensor threads: work from any caller lands on the same few long-lived threads, with the libtorch
/// thread count it asked for, in the caller's execution context.
/// </summary>
public sealed class TensorThreadsTests
{
    [Fact]
    public async Task WorkFromManyPoolThreads_RunsOnTheFewTensorThreadsOnly()
    {
        int[] threadIds = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ =>
            Task.Run(() => TensorThreads.RunAsync(() => Environment.CurrentManagedThreadId))));

        Assert.InRange(threadIds.Distinct().Count(), 1, TensorThreads.Count);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, threadIds);
        Assert.False(TensorThreads.OnTensorThread);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EachWorkItem_RunsWithTheLibtorchThreadCountItNames(int threads)
    {
        int seen = await TensorThreads.RunAsync(torch.get_num_threads, threads);

        Assert.Equal(threads, seen);
    }

    [Fact]
    public async Task WorkItems_SeeTheCallersExecutionContext()
    {
        var scope = new AsyncLocal<string> { Value = "run-42 chunk" };

        string? seen = await TensorThreads.RunAsync(() => scope.Value);

        Assert.Equal("run-42 chunk", seen);
    }

    [Fact]
    public async Task WorkFromATensorThread_RunsInlineInsteadOfWaitingForItself()
    {
        (int outer, int inner) = await TensorThreads.RunAsync(() =>
            (Environment.CurrentManagedThreadId, TensorThreads.Run(() => Environment.CurrentManagedThreadId)));

        Assert.Equal(outer, inner);
    }

    [Fact]
    public async Task AnExceptionOfTheWork_ReachesTheCaller()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TensorThreads.RunAsync<int>(() => throw new InvalidOperationException("checkpoint unreadable")));

        Assert.Equal("checkpoint unreadable", failure.Message);
    }

    [Fact]
    public async Task WorkCancelledBeforeItStarts_IsNotRun()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        bool ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TensorThreads.RunAsync(() => ran = true, cancellationToken: cancelled.Token));

        Assert.False(ran);
    }
}
