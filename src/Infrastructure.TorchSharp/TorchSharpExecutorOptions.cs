namespace DurableTrainer.Infrastructure.TorchSharp;

/// <summary>Settings of the TorchSharp executor (configuration section "Training").</summary>
public sealed class TorchSharpExecutorOptions
{
    public const string SectionName = "Training";

    /// <summary>Folder with the Fashion-MNIST IDX files; a relative path is resolved against the application's folder.</summary>
    public string DataDirectory { get; set; } = Data.FashionMnistLoader.DefaultDirectory;

    /// <summary>libtorch intra-op threads; 0 means the processor count divided by the concurrent activities.</summary>
    public int Threads { get; set; }

    /// <summary>How many activities this process runs at once (used to divide the cores when Threads is 0).</summary>
    public int ConcurrentActivities { get; set; } = 1;

    public int SyntheticTrainExamples { get; set; } = 4096;

    public int SyntheticTestExamples { get; set; } = 1024;

    /// <summary>
    /// Examples per forward pass during evaluation. Small on purpose: a batch's activations should stay in the CPU's
    /// caches. On 2 cores the default CNN evaluated 7,600-9,000 examples/s in batches of 64-256 and 3,200-4,800 in
    /// batches of 1,000 (bench/ExecutorBenchmark, BENCH_EVALUATION_BATCHES), whose first layer's output alone is 100 MB.
    /// </summary>
    public int EvaluationBatchSize { get; set; } = 128;

    /// <summary>
    /// Rows per forward pass when predicting. A part's rows always meet the same batches (counted from its first
    /// row), so a part predicted twice, anywhere, gives the same bits.
    /// </summary>
    public int PredictionBatchSize { get; set; } = 256;

    /// <summary>Shards of sharded datasets a worker process keeps decoded in memory, shared by its chunks (each reading chunk leases up to three).</summary>
    public int ShardsInMemory { get; set; } = 4;

    /// <summary>Fix glibc malloc's mmap and trim thresholds so per-chunk model rebuilds do not re-fault pages (see NativeAllocatorTuning).</summary>
    public bool TuneNativeAllocator { get; set; } = true;

    public string ResolveDataDirectory() => Path.GetFullPath(DataDirectory, AppContext.BaseDirectory);

    public int ResolveThreads() =>
        Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / Math.Max(1, ConcurrentActivities));
}
