using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp;

/// <summary>
/// The few long-lived threads that run all of this process's tensor work: building models, training chunks,
/// evaluating, merging, loading datasets and checking models.
/// <para>
/// Why not the thread pool: libtorch parallelises with GNU OpenMP, which gives every thread that opens a parallel
/// region a team of helper threads of its own and keeps it for that thread's life. Once the helpers of all teams
/// outnumber the cores, libgomp stops spinning at barriers and sleeps on a futex instead (its throttled spin count),
/// so each of a training step's many parallel regions pays for a wake-up. Activities resume on whichever pool thread
/// finished their I/O, so after a few chunks a worker held several teams. Measured on 2 cores (bench/ExecutorBenchmark,
/// default CNN, before this class): a chunk on another thread than the one that loaded the data ran 0.60-0.86x as
/// fast, with 60,000 context switches instead of 1,200 (and 0.33x with OMP_WAIT_POLICY=ACTIVE, the idle team spinning).
/// </para>
/// <para>
/// OpenMP's thread count is a per-thread setting, and executors of one process may want different counts (tests do):
/// each work item names its count, and the thread sets it when it changes.
/// </para>
/// The threads are shared by the whole process, because OpenMP's teams are. There is one per concurrent activity.
/// Code of the process's own that makes tensors (a benchmark's bare loop, a test) should run here too.
/// </summary>
public static class TensorThreads
{
    private static readonly BlockingCollection<WorkItem> Queue = new();
    private static readonly Lock Starting = new();
    private static int _started;

    // Zero on every other thread; on a tensor thread, the libtorch thread count it last set.
    [ThreadStatic]
    private static int t_torchThreads;

    /// <summary>Whether the caller is one of the tensor threads (work from here runs inline).</summary>
    public static bool OnTensorThread => t_torchThreads > 0;

    /// <summary>How many tensor threads the process has started.</summary>
    public static int Count => Volatile.Read(ref _started);

    /// <summary>Starts threads until there are at least <paramref name="count"/>: one per activity the process runs at once.</summary>
    public static void EnsureAtLeast(int count)
    {
        if (Count >= count && Count > 0)
        {
            return;
        }

        lock (Starting)
        {
            while (_started < Math.Max(1, count))
            {
                var thread = new Thread(Serve) { IsBackground = true, Name = $"tensor work {_started}" };
                thread.Start();
                _started++;
            }
        }
    }

    /// <summary>
    /// Runs synchronous tensor work on a tensor thread with <paramref name="torchThreads"/> libtorch threads (null: as
    /// the thread last had), in the caller's execution context (log scopes, the current trace activity).
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Every failure of the work is handed to the caller through the returned task, not swallowed.")]
    public static Task<T> RunAsync<T>(Func<T> work, int? torchThreads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (OnTensorThread)
        {
            try
            {
                return Task.FromResult(Invoke(work, torchThreads));
            }
            catch (Exception exception)
            {
                return Task.FromException<T>(exception);
            }
        }

        EnsureAtLeast(1);
        var item = new WorkItem<T>(work, torchThreads, ExecutionContext.Capture(), cancellationToken);
        Queue.Add(item, CancellationToken.None);
        return item.Completion.Task;
    }

    /// <summary>
    /// As <see cref="RunAsync{T}"/>, for synchronous callers: inline on a tensor thread, otherwise blocking the caller
    /// until a tensor thread has done it.
    /// </summary>
    public static T Run<T>(Func<T> work, int? torchThreads = null) =>
        OnTensorThread ? Invoke(work, torchThreads) : RunAsync(work, torchThreads).GetAwaiter().GetResult();

    /// <summary>
    /// Tensor work that must run beside the tensor threads, not queue behind them: a shard prefetched while a chunk
    /// trains, which will soon wait for it. It runs on the caller with one libtorch thread, so it opens no OpenMP team.
    /// </summary>
    public static T RunBeside<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!OnTensorThread)
        {
            set_num_threads(1);
        }

        return work();
    }

    private static T Invoke<T>(Func<T> work, int? torchThreads)
    {
        if (torchThreads is { } wanted && wanted != t_torchThreads)
        {
            set_num_threads(wanted);
            t_torchThreads = wanted;
        }

        return work();
    }

    private static void Serve()
    {
        // Until a work item asks for a count, the thread has OpenMP's default for a new thread (all cores).
        t_torchThreads = get_num_threads();
        foreach (WorkItem item in Queue.GetConsumingEnumerable())
        {
            item.Execute();
        }
    }

    private abstract class WorkItem
    {
        public abstract void Execute();
    }

    private sealed class WorkItem<T>(Func<T> work, int? torchThreads, ExecutionContext? context, CancellationToken cancellationToken) : WorkItem
    {
        // Continuations must not run on the tensor thread: they would hold it while the caller awaits more I/O.
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Execute()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
            }
            else if (context is null)
            {
                Complete();
            }
            else
            {
                ExecutionContext.Run(context, static state => ((WorkItem<T>)state!).Complete(), this);
            }
        }

        [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Every failure of the work is handed to the caller through the completion task, not swallowed.")]
        private void Complete()
        {
            try
            {
                Completion.TrySetResult(Invoke(work, torchThreads));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
            }
            catch (Exception exception)
            {
                Completion.TrySetException(exception);
            }
        }
    }
}
