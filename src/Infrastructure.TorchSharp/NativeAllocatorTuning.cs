using System.Runtime.InteropServices;

namespace DurableTrainer.Infrastructure.TorchSharp;

/// <summary>
/// Fixes glibc malloc's settings for a process that trains. Every chunk builds a fresh model and optimizer and frees
/// them, and every step allocates new gradients. With glibc's defaults, blocks of this size go back and forth between
/// mmap and the heap (the mmap threshold moves with what was freed last), and the heap top is trimmed back to the
/// kernel, so the same pages are faulted in again and again. Measured with bench/executor.sh: without this, the
/// executor's chunks ran 0.6-1.0x as fast as a bare loop's from one process to the next; with it, paired medians of
/// 1.00-1.04. The thresholds are what MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ would set, applied from code so
/// that every host gets them. Arenas are capped at two because each may keep up to the trim threshold of free memory:
/// without a cap, every pool thread that ran tensor work could hold its own, and resident memory crept up.
/// <para>
/// The top pad matters for the tensor threads (see <see cref="TensorThreads"/>): they allocate from a thread arena,
/// not the main heap, and a thread arena grows in 64 MiB sub-heaps that glibc unmaps as soon as one falls empty,
/// whatever the trim threshold says. A CNN step's activations and gradients span more than one sub-heap, so every
/// step mapped a fresh one and faulted its pages in again. glibc keeps an empty sub-heap while the free space below
/// it is under the top pad; a pad of a whole sub-heap keeps them all. Measured with bench/executor.sh's CNN with batch
/// norm at 2 threads: page faults 1.6-2.5 M to 0.44 M per run, and the bare loop 1.11-1.24x as fast (3 pairs).
/// </para>
/// </summary>
internal static class NativeAllocatorTuning
{
    // From glibc's malloc.h.
    private const int TrimThresholdParameter = -1;
    private const int TopPadParameter = -2;
    private const int MmapThresholdParameter = -3;
    private const int ArenaMaxParameter = -8;

    // The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2), and a trim threshold above a chunk's
    // working set, so freed tensors stay in the heap for the next chunk. (A 16 MiB trim threshold kept memory lower but
    // lost the speed: paired medians 0.96-1.04.)
    private const int MmapThreshold = 32 * 1024 * 1024;
    private const int TrimThreshold = 256 * 1024 * 1024;
    private const int ArenaMax = 2;

    // HEAP_MAX_SIZE on 64-bit: the size of a thread arena's sub-heap.
    private const int TopPad = 64 * 1024 * 1024;

    private static readonly Lazy<string> Outcome = new(Apply);

    /// <summary>Applies the settings once per process; returns what was done, for the log.</summary>
    public static string EnsureApplied() => Outcome.Value;

    private static string Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux, left as is";
        }

        try
        {
            bool mmap = mallopt(MmapThresholdParameter, MmapThreshold) == 1;
            bool trim = mallopt(TrimThresholdParameter, TrimThreshold) == 1;
            bool arenas = mallopt(ArenaMaxParameter, ArenaMax) == 1;
            bool pad = mallopt(TopPadParameter, TopPad) == 1;
            return mmap && trim && arenas && pad
                ? "glibc malloc: mmap threshold 32 MiB, trim threshold 256 MiB, top pad 64 MiB, at most 2 arenas"
                : "glibc refused the malloc settings";
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without mallopt (not glibc): nothing to tune.
            return "no mallopt in this C library, left as is";
        }
    }

    // Plain DllImport: two ints need no marshalling, and LibraryImport would need unsafe code for nothing.
    [DllImport("libc", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int parameter, int value);
}
