using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// Knows which models can be built: the built-in architectures and their parameters, the declarative layer
/// vocabulary, and TorchScript files in the model store. The use case asks it to check a model section against the
/// data's shape at submission, so that a bad model is refused before anything is scheduled.
/// </summary>
public interface IModelCatalog
{
    /// <summary>The names of the built-in architectures.</summary>
    IReadOnlyCollection<string> Architectures { get; }

    /// <summary>
    /// Checks <paramref name="model"/> for data of <paramref name="shape"/>. Returns the section with every
    /// parameter resolved to the value used (defaults filled in, a model file pinned by its SHA-256), or every problem
    /// under its <c>model.*</c> path.
    /// </summary>
    Task<ModelCheck> CheckAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default);

    /// <summary>
    /// Checks that <paramref name="content"/> is a model file this catalog can train (before it is stored), without
    /// knowing the data yet. Returns the problems under <paramref name="path"/>; none when it is usable.
    /// </summary>
    IReadOnlyList<ValidationError> CheckFile(ReadOnlyMemory<byte> content, string path);
}

/// <summary>A checked model: the resolved section, or the errors; and, when it is valid, its trainable parameter count.</summary>
public sealed record ModelCheck(ModelSection? Resolved, IReadOnlyList<ValidationError> Errors, long Parameters = 0)
{
    public static ModelCheck Valid(ModelSection resolved, long parameters) => new(resolved, [], parameters);

    public static ModelCheck Invalid(IReadOnlyList<ValidationError> errors) => new(null, errors);
}
