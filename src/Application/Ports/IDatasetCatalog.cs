using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Ports;

/// <summary>Knows the datasets a run can name: checks a data section against the data itself, and pins it.</summary>
public interface IDatasetCatalog
{
    /// <summary>
    /// Reads and checks the data the section names. On success: the section with its content pinned
    /// (<c>data.sha256</c>) and the shape of one example with the number of outputs a model must produce. Otherwise
    /// the errors, under <c>data.*</c>, naming the file and the row, column or image.
    /// </summary>
    Task<DatasetCheck> CheckAsync(DataSection data, CancellationToken cancellationToken = default);
}

/// <remarks><see cref="TrainExamples"/> is the size of the training split (what a run's plan counts its epochs in); 0 when unknown.</remarks>
public sealed record DatasetCheck(DataSection? Data, DataShape? Shape, IReadOnlyList<ValidationError> Errors, int TrainExamples = 0)
{
    public static DatasetCheck Failed(params ValidationError[] errors) => new(null, null, errors);
}
