using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Ports;

/// <summary>Knows the datasets a run can name and the shape of their examples, without loading them.</summary>
public interface IDatasetCatalog
{
    /// <summary>The shape of one example and the number of outputs a model must produce, or the errors under <c>data.*</c>.</summary>
    (DataShape? Shape, IReadOnlyList<ValidationError> Errors) Describe(DataSection data);
}
