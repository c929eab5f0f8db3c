using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Predictions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Contracts;

// What a batch prediction job is asked, what its orchestration carries, and what it answers. As with training, the
// messages that cross the durable engine carry references, hashes and counts, never rows.

/// <summary>The <c>model</c> section of a prediction request: the run whose checkpoint predicts (a sweep's trial is a run too).</summary>
public sealed record PredictionModelSection(string? Run = null, CheckpointChoice Checkpoint = CheckpointChoice.Final);

/// <summary>
/// The <c>output</c> section: the format, and where the parts go: <see cref="Path"/> (a folder, by default the job's
/// id) in the blob <see cref="Container"/> (<c>predictions</c> by default) of the checkpoints' storage account.
/// </summary>
public sealed record PredictionOutputSection(PredictionOutputFormat Format = PredictionOutputFormat.Csv, string? Container = null, string? Path = null)
{
    public const string DefaultContainer = "predictions";
}

/// <summary>
/// A request to score a dataset: <see cref="Data"/> names the rows as a run's data section names its data (a file or
/// folder, sharded or not); the run's own preprocessing applies. <see cref="RowsPerPart"/> cuts a large file into
/// parts; <see cref="Parallelism"/> bounds how many parts run at once.
/// </summary>
public sealed record PredictionRequest(
    string? PredictionId = null,
    PredictionModelSection? Model = null,
    DataSection? Data = null,
    PredictionOutputSection? Output = null,
    int? RowsPerPart = null,
    int? Parallelism = null)
{
    public const int DefaultRowsPerPart = 10_000;
    public const int MaxRowsPerPart = 1_000_000;
    public const int DefaultParallelism = 4;
    public const int MaxParallelism = 64;
    public const int MaxParts = 10_000;
}

/// <summary>A data file a job reads, pinned by the SHA-256 of its content when the job was submitted.</summary>
public sealed record PinnedFile(string Path, string Sha256);

/// <summary>
/// One part of a job: rows [<see cref="FirstRow"/>, FirstRow + <see cref="Rows"/>) of what <see cref="Files"/> hold
/// (one table or array file; or a list of images). Its output's name is fixed by (job, <see cref="Index"/>).
/// </summary>
public sealed record PredictionPart(int Index, IReadOnlyList<PinnedFile> Files, long FirstRow, long Rows);

/// <summary>Where a job writes: a folder (ending in '/') in a blob container, and the format.</summary>
public sealed record PredictionDestination(string Container, string Folder, PredictionOutputFormat Format)
{
    public string PartPath(int index) => $"{Folder}part-{index:D5}.{Extension}";

    /// <summary>The outputs and labels of a labelled part, kept for the job's metrics (beside the parts, not among them).</summary>
    public string EvaluationPath(int index) => $"{Folder}evaluation/part-{index:D5}.npz";

    public string ManifestPath => Folder + "manifest.json";

    public string Extension => Format switch
    {
        PredictionOutputFormat.Parquet => "parquet",
        PredictionOutputFormat.Npy => "npy",
        _ => "csv",
    };
}

/// <summary>
/// A job as its orchestration runs it: everything checked, pinned and cut into parts at submission. An execution
/// runs at most <see cref="PartsPerExecution"/> parts and continues as new with their results in <see cref="Done"/>
/// (the first parts, in order), so a job of thousands of parts never replays a history of thousands of activities.
/// </summary>
public sealed record PredictionJobInput(
    PredictionId PredictionId,
    CheckpointReference Checkpoint,
    string CheckpointSha256,
    TrainingRecipe Recipe,
    DataSection Data,
    PredictionDestination Destination,
    IReadOnlyList<PredictionPart> Parts,
    bool Labelled,
    int Parallelism,
    IReadOnlyList<string> IgnoredColumns,
    long Rows,
    DateTime SubmittedUtc,
    int PartsPerExecution = PredictionJobInput.DefaultPartsPerExecution,
    IReadOnlyList<PredictionPartResult>? Done = null)
{
    /// <summary>
    /// Large enough that waiting for an execution's last parts before continuing costs about 1 % of a job at the
    /// highest parallelism, small enough that a replay stays short.
    /// </summary>
    public const int DefaultPartsPerExecution = 500;
}

/// <summary>Predict one part and write it (and, for labelled rows, its evaluation file).</summary>
public sealed record PredictPartCommand(
    PredictionId PredictionId,
    CheckpointReference Checkpoint,
    string CheckpointSha256,
    TrainingRecipe Recipe,
    DataSection Data,
    PredictionDestination Destination,
    PredictionPart Part,
    bool Labelled);

/// <summary>A part written: its path relative to the job's folder, rows, and the SHA-256 of its bytes.</summary>
public sealed record PredictionPartResult(int Index, string Path, long Rows, string Sha256, double Seconds);

/// <summary>Measure a labelled job's predictions over all its parts, in order, as one evaluation.</summary>
public sealed record SummarizePredictionsCommand(PredictionId PredictionId, TrainingRecipe Recipe, PredictionDestination Destination, int Parts);

/// <summary>Write a finished job's manifest beside its parts.</summary>
public sealed record WriteManifestCommand(PredictionDestination Destination, PredictionManifest Manifest);

/// <summary>
/// The manifest a finished job leaves beside its parts (<c>manifest.json</c>), and the job's output: each part in
/// input order with its rows and SHA-256 (paths relative to the job's folder), the columns, and the task's metrics when
/// the rows were labelled.
/// </summary>
public sealed record PredictionManifest(
    string PredictionId,
    string Run,
    string Checkpoint,
    string Format,
    string Container,
    string Folder,
    long Rows,
    IReadOnlyList<PredictionManifestPart> Parts,
    IReadOnlyList<string> IgnoredColumns,
    EvaluationMetrics? Metrics);

public sealed record PredictionManifestPart(string Path, long Rows, string Sha256);

/// <summary>A job's progress, as its custom status shows it.</summary>
public sealed record PredictionProgress(int Parts, int PartsDone, long Rows, long RowsDone, double RowsPerSecond, string Stage);
